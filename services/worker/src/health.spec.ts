import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';
import { startHealthServer } from './health';

describe('GET /health', () => {
  let server: Server;
  let states: Record<string, State> | null = null;
  let url: string;

  beforeAll(async () => {
    server = await startHealthServer(0, () => states);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  const health = async () => {
    const res = await fetch(`${url}/health`);
    return { status: res.status, body: await res.json() };
  };

  it('answers 503 "starting" until the workers exist', async () => {
    states = null;
    expect(await health()).toEqual({ status: 503, body: { status: 'starting', queues: {} } });
  });

  it('answers 200 while every queue’s worker runs, naming each queue', async () => {
    states = { 'gatehouse-tickets': 'RUNNING', 'gatehouse-tickets-notifications': 'RUNNING' };
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', queues: states } });
  });

  it.each<State>(['DRAINING', 'STOPPING', 'FAILED', 'STOPPED'])('answers 503 when one worker is %s', async (state) => {
    states = { 'gatehouse-tickets': 'RUNNING', 'gatehouse-tickets-maintenance': state };
    expect(await health()).toEqual({ status: 503, body: { status: 'unavailable', queues: states } });
  });

  it('serves nothing else', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    expect((await fetch(`${url}/health`, { method: 'POST' })).status).toBe(404);
  });
});
