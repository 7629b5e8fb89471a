import { ApiProperty } from '@nestjs/swagger';

// The data of one `chat` event, and the body of POST /rooms/:id.
// @ApiProperty() by hand: swagger's CLI plugin does not run on TypeScript 7.
export class ChatMessage {
  @ApiProperty({ example: 'ada' })
  user!: string;

  @ApiProperty({ description: 'What was said', example: 'hello' })
  text!: string;
}
