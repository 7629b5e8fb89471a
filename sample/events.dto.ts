import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/*
 * What the sample's routes send and take, as @nestjs/swagger models: the
 * `schema` of an @SseChannel() route documents its events' data at /docs.
 */

/** The data of a `message` event of `GET /ticker`. */
export class Tick {
  @ApiProperty({ example: 'Tick #3 from the server' })
  message!: string;

  @ApiProperty({ description: 'Milliseconds since the epoch', example: 1767225600000 })
  timestamp!: number;
}

/** The data of a `chat` (and `notice`) event of a room. */
export class ChatMessage {
  @ApiProperty({ example: 'alice' })
  user!: string;

  @ApiProperty({ example: 'Hello!' })
  text!: string;

  @ApiProperty({ description: 'When the server got it, in milliseconds since the epoch', example: 1767225600000 })
  at!: number;
}

/** What `POST /rooms/:id` takes. */
export class NewChatMessage {
  @ApiProperty({ example: 'alice', maxLength: 40 })
  user!: string;

  @ApiProperty({ example: 'Hello!', maxLength: 500 })
  text!: string;
}

/** What `POST /answers` takes. */
export class Question {
  @ApiProperty({ example: 'What are Server-Sent Events?' })
  question!: string;

  @ApiPropertyOptional({ description: 'The run\'s id (a-z, 0-9 and "-"), to open it again with GET /answers/:id', pattern: '^[a-z0-9-]{1,40}$', example: 'sse-intro' })
  id?: string;
}

/** The data of a `token` event of an answer: one word, as text. */
export const TOKEN_SCHEMA = { type: 'string', description: 'The next word of the answer (text, not JSON)', example: 'Server-Sent ' };
