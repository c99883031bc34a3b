// Compiled as TC39 standard decorators (this folder's tsconfig.json): the same API as the
// static form, registered from `@route` classes.
import { libraryApp, openapi } from '../fixtures/library-api';
import { registerStatic } from '../fixtures/library-static';
import * as decorated from './library-standard-decorators';

describe('the decorator form (TC39 standard decorators)', () => {
  it('produces the same OpenAPI document as the static form', async () => {
    const fromStatic = openapi(await libraryApp({ register: registerStatic }));
    const fromDecorators = openapi(await libraryApp({ entries: [decorated.AuthorList, decorated.AuthorItem] }));
    expect(fromDecorators).toEqual(fromStatic);
  });

  it('produces the same routes as the static form', async () => {
    const fromStatic = await libraryApp({ register: registerStatic });
    const fromDecorators = await libraryApp({ entries: [decorated.AuthorList, decorated.AuthorItem] });
    expect(fromDecorators.printRoutes({ commonPrefix: false })).toBe(fromStatic.printRoutes({ commonPrefix: false }));
    expect((await fromDecorators.inject('/authors/x')).statusCode).toBe(400);
  });

  it('is really compiled as standard decorators', () => {
    expect(decorated.decoratorMode).toEqual(['tc39']);
  });
});
