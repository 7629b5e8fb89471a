import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

// Swagger UI at /docs, the JSON document at /docs-json. Call it before app.listen().
export function setUpSwagger(app: INestApplication): void {
  const config = new DocumentBuilder().setTitle('Chat').setVersion('1.0').build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
}
