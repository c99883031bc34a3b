// The NestJS peer: the same two routes on @nestjs/platform-fastify. NestJS 12 is ESM-only, hence
// this one .mjs file. The decorators are called by hand, exactly as TypeScript's
// experimentalDecorators output calls them, so no compile step is needed.
import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

class UsersController {
  getUser(id) { return { id, name: 'Ada' }; }
  createUser(body) { return body; } // Nest answers POST with 201 by default
}
const proto = UsersController.prototype;
Get(':id')(proto, 'getUser', Object.getOwnPropertyDescriptor(proto, 'getUser'));
Param('id')(proto, 'getUser', 0);
Post()(proto, 'createUser', Object.getOwnPropertyDescriptor(proto, 'createUser'));
Body()(proto, 'createUser', 0);
Controller('users')(UsersController);

class AppModule {}
Module({ controllers: [UsersController] })(AppModule);

/** Builds the Nest app and listens on 127.0.0.1 at an ephemeral port; resolves to { port, close }. */
export async function listenNest() {
  const app = await NestFactory.create(AppModule, new FastifyAdapter({ logger: false }), { logger: false });
  await app.listen(0, '127.0.0.1');
  return { port: app.getHttpServer().address().port, close: () => app.close() };
}
