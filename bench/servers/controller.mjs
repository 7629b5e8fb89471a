// Plain-JS servers cannot use decorator syntax: this applies a route decorator
// and @Controller() to a one-method class, as TypeScript would.
import { Controller } from '@nestjs/common';

export function routeController(method, handler, routeDecorator) {
  const Route = class {};
  Route.prototype[method] = handler;
  const descriptor = Object.getOwnPropertyDescriptor(Route.prototype, method);
  routeDecorator(Route.prototype, method, descriptor);
  Object.defineProperty(Route.prototype, method, descriptor);
  Controller()(Route);
  return Route;
}
