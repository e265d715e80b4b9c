import { describe, expect, test } from 'vitest';
import { buildModel } from '../../src/sessions/index.ts';
import { TaskFate } from '../../src/sessions/index.ts';
import { Conv, SynthCapture, check } from '../checks/synth.ts';

describe('the session model', () => {
  test('logins, names, sessions, ends; plain data that survives structured clone', () => {
    const cap = new SynthCapture();
    const d = new Conv(cap, { discovery: true, isid: '80:00:00:00:00:01' });
    d.login();
    d.sendTargets();
    d.logout();
    d.close();
    const s = new Conv(cap, { initiator: '10.0.0.1:40001', tsih: 0x200, cid: 3 });
    s.login();
    const c = s.command(0x28);
    s.dataIn(c.itt, true);
    s.fin('initiator');
    const { analysis, model } = check(cap);
    expect(model.connections.map((x) => [x.conn, x.sessionType, x.isid, x.tsih, x.cid, x.loggedIn, x.end.kind, x.end.by, x.end.loggedOut]))
      .toEqual([
        [0, 'Discovery', '80:00:00:00:00:01', 0x100, 0, true, 'fin', 'initiator', true],
        [1, 'Normal', '80:12:34:56:00:00', 0x200, 3, true, 'fin', 'initiator', false],
      ]);
    expect(model.connections[0]).toMatchObject({ initiatorName: 'iqn.2024-01.test:host1', targetName: undefined, portal: '10.0.0.2:3260', textRequests: 1 });
    expect(model.connections[1]).toMatchObject({ targetName: 'iqn.2024-01.test:disk1', commands: 1, session: 1 });
    expect(model.connections[1].negotiated.HeaderDigest).toBe('None');
    expect(model.connections[1].login).toMatchObject({ statusClass: 0, statusDetail: 0, fullFeature: true });
    expect(model.connections[0].logout).toMatchObject({ reason: 0, responseCode: 0 });
    expect(model.sessions.map((x) => [x.sessionType, x.conns])).toEqual([['Discovery', [0]], ['Normal', [1]]]);
    expect(model.tasks.fate[0]).toBe(TaskFate.Completed);
    const copy = structuredClone(model);
    expect(copy).toEqual(model);
    // buildModel on its own gives the same model.
    expect(buildModel(analysis)).toEqual(model);
  });

  test('a capture that starts mid-session: logged in, no login record, no findings invented', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    // No handshake, no login: the capture began during Full Feature Phase.
    const c = s.command(0x00);
    s.response(c.itt);
    s.response(0x7777); // the status of a command sent before the capture began
    s.logout();
    s.close();
    const { model, findings } = check(cap);
    expect(model.connections[0]).toMatchObject({ loggedIn: true, login: undefined, isid: undefined });
    expect(findings.map((f) => f.kind)).toEqual(['logout']);
  });
});
