import { describe, expect, it } from 'vitest';
import { compareRoutes, compileRoute, matchRoute } from '../../src/devhost/routes.js';

describe('route templates', () => {
  it('matches literals case-insensitively and captures parameters', () => {
    const r = compileRoute('incidents/{id}/{action}');
    expect(matchRoute(r, 'Incidents/abc/ack')).toEqual({ id: 'abc', action: 'ack' });
    expect(matchRoute(r, 'incidents/abc')).toBeUndefined();
    expect(matchRoute(r, 'incidents/abc/ack/extra')).toBeUndefined();
  });

  it('supports optional parameters, defaults and catch-alls', () => {
    expect(matchRoute(compileRoute('lkg/{env}/{service?}'), 'lkg/Prod')).toEqual({ env: 'Prod' });
    expect(matchRoute(compileRoute('lkg/{env}/{service?}'), 'lkg/Prod/api')).toEqual({ env: 'Prod', service: 'api' });
    expect(matchRoute(compileRoute('page/{n:int=1}'), 'page')).toEqual({ n: '1' });
    expect(matchRoute(compileRoute('blob/{*path}'), 'blob/a/b%2Fc')).toEqual({ path: 'a/b/c' });
  });

  it('applies constraints', () => {
    const r = compileRoute('x/{id:guid}');
    expect(matchRoute(r, 'x/0d9e8a4c-2b5f-4c7e-9a3b-1f2e3d4c5b6a')).toBeDefined();
    expect(matchRoute(r, 'x/not-a-guid')).toBeUndefined();
    expect(matchRoute(compileRoute('n/{v:range(1,5)}'), 'n/6')).toBeUndefined();
    expect(matchRoute(compileRoute('n/{v:minlength(3)}'), 'n/ab')).toBeUndefined();
    expect(() => compileRoute('n/{v:bogus}')).toThrow(/not supported/);
  });

  it('rejects malformed percent-encoding instead of throwing', () => {
    expect(matchRoute(compileRoute('x/{id}'), 'x/%E0%A4%A')).toBeUndefined();
  });

  it('orders literal segments before constrained before free parameters before catch-alls', () => {
    const routes = ['a/{*rest}', 'a/{id}', 'a/{id:int}', 'a/list'].map(compileRoute).sort(compareRoutes);
    expect(routes.map((r) => r.template)).toEqual(['a/list', 'a/{id:int}', 'a/{id}', 'a/{*rest}']);
  });
});
