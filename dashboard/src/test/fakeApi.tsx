// A GatehouseApi over a scripted fetch, and a signed-in SessionContext, for component tests.
import type { ReactNode } from 'react';
import { GatehouseApi } from '../api/client';
import type { Me } from '../api/types';
import { SessionContext } from '../session-context';

export interface Call {
  method: string;
  path: string;
  body: unknown;
}

type Route = (call: Call) => { status?: number; body: unknown } | undefined;

export function fakeApi(route: Route) {
  const calls: Call[] = [];
  const fetchImpl = async (input: string, init?: RequestInit): Promise<Response> => {
    const call = {
      method: init?.method ?? 'GET',
      path: input,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    const answer = route(call) ?? {
      status: 404,
      body: { statusCode: 404, code: 'NOT_FOUND', message: `no route ${call.method} ${call.path}` },
    };
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { api: new GatehouseApi('test-token', '', fetchImpl), calls };
}

export const alice: Me = { id: 'alice', name: 'Alice', email: null, roles: [], groups: ['engineering'] };
export const carol: Me = { id: 'carol', name: 'Carol', email: null, roles: [], groups: ['leads'] };

export function SignedIn({ api, me, children }: { api: GatehouseApi; me: Me; children: ReactNode }) {
  return (
    <SessionContext.Provider value={{ api, me, isAdmin: me.roles.includes('admin') }}>
      {children}
    </SessionContext.Provider>
  );
}
