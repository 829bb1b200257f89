import { describe, expect, it } from 'vitest';
import { bulkProgress, findingDetail, findingRow, governanceStatus } from '../../test/fixtures';
import {
  actingBlocked,
  actionsFor,
  auditFileName,
  bulkCounts,
  bulkEta,
  bulkEtaText,
  bulkTook,
  changeValue,
  EMPTY_POLICY,
  filterWords,
  matchSummary,
  narrowerAccess,
  newPolicy,
  restoreFor,
  restrictRequest,
  targetLabel,
  viaFolderName,
} from './plan';

const ids = (d: ReturnType<typeof findingDetail>) => actionsFor(d).map((a) => a.id);

describe('actions a finding offers', () => {
  it('a link on the file itself: remove or restrict it, on the file; and quarantine', () => {
    const actions = actionsFor(findingDetail());
    expect(actions.map((a) => a.id)).toEqual(['remove_link', 'restrict_link', 'quarantine']);
    expect(actions[0]).toMatchObject({ label: 'Remove link', target: 'the file', needsOptions: false });
    expect(actions[0].request).toEqual({
      kind: 'remove_link',
      item_type: 'file',
      item_id: '1001',
      access: null,
      disable_download: false,
      expires_at: null,
      collaboration_id: null,
    });
    expect(actions[1]).toMatchObject({ label: 'Restrict link…', needsOptions: true, currentAccess: 'open' });
    expect(actions[2].request).toMatchObject({ kind: 'quarantine', item_type: 'file', item_id: '1001' });
  });

  it('a link reached through a folder acts on that folder, named in the label', () => {
    const d = findingDetail({
      finding: findingRow({ kind: 'company_link', reached_via: 'the company link (can download) of folder All Files/Shared' }),
      via_item_type: 'folder',
      via_item_id: '55',
      details: { access: 'company', can_download: true },
    });
    const [remove, restrict, quarantine] = actionsFor(d);
    expect(remove.label).toBe('Remove link of folder All Files/Shared');
    expect(remove.request).toMatchObject({ kind: 'remove_link', item_type: 'folder', item_id: '55' });
    expect(restrict.currentAccess).toBe('company');
    expect(restrict.request.item_type).toBe('folder');
    // Quarantine moves the file, never the folder.
    expect(quarantine.request).toMatchObject({ kind: 'quarantine', item_type: 'file', item_id: '1001' });
  });

  it('an external collaborator: remove that collaboration (its id from the details) or every external one', () => {
    const d = findingDetail({
      finding: findingRow({ kind: 'external_collaborator', reached_via: 'external collaborator eve@partner.example (editor) on the file' }),
      via_item_type: 'file',
      via_item_id: '1001',
      details: { collaboration_id: '9001', login: 'eve@partner.example', role: 'editor', name: 'Eve', status: 'accepted' },
    });
    const actions = actionsFor(d);
    expect(actions.map((a) => a.id)).toEqual(['remove_collaborator', 'remove_external', 'quarantine']);
    expect(actions[0].label).toBe('Remove collaborator eve@partner.example');
    expect(actions[0].request).toMatchObject({ kind: 'remove_collaborator', item_type: 'file', item_id: '1001', collaboration_id: '9001' });
    expect(actions[1].request).toMatchObject({ kind: 'remove_external', item_type: 'file', item_id: '1001', collaboration_id: null });
  });

  it('a collaborator on a folder acts on the folder; without a collaboration id only "remove all" is offered', () => {
    const d = findingDetail({
      finding: findingRow({ kind: 'external_collaborator', reached_via: 'external collaborator eve@partner.example (viewer) on folder All Files/Shared' }),
      via_item_type: 'folder',
      via_item_id: '55',
      details: { login: 'eve@partner.example' },
    });
    const actions = actionsFor(d);
    expect(actions.map((a) => a.id)).toEqual(['remove_external', 'quarantine']);
    expect(actions[0]).toMatchObject({ label: 'Remove all external collaborators of folder All Files/Shared', target: 'folder All Files/Shared' });
    expect(actions[0].request).toMatchObject({ item_type: 'folder', item_id: '55' });
  });

  it('content and owned-outside findings offer quarantine only; closed findings nothing', () => {
    expect(ids(findingDetail({ finding: findingRow({ kind: 'sensitive_content', detector: 'credit_card' }), via_item_type: null, via_item_id: null, details: null }))).toEqual(['quarantine']);
    expect(ids(findingDetail({ finding: findingRow({ kind: 'externally_owned' }), details: null }))).toEqual(['quarantine']);
    expect(ids(findingDetail({ finding: findingRow({ closed_at: new Date().toISOString() }) }))).toEqual([]);
  });

  it('a link on another file (not this one, not a folder) is not offered against the wrong item', () => {
    expect(ids(findingDetail({ via_item_type: 'file', via_item_id: '999' }))).toEqual(['quarantine']);
  });

  it('reads the folder from how the finding is reached, else says its id', () => {
    expect(viaFolderName('the open link (can download) of folder All Files/A b', '5')).toBe('All Files/A b');
    expect(viaFolderName('external collaborator x@y (editor) on folder All Files/C', '5')).toBe('All Files/C');
    expect(viaFolderName('something else', '5')).toBe('5');
  });
});

describe('restoring', () => {
  it('is offered for a done quarantine only', () => {
    const item = { item_type: 'file' as const, item_id: '1001' };
    expect(restoreFor({ kind: 'quarantine', state: 'done', item })).toMatchObject({ kind: 'restore', item_type: 'file', item_id: '1001' });
    expect(restoreFor({ kind: 'quarantine', state: 'failed', item })).toBeNull();
    expect(restoreFor({ kind: 'remove_link', state: 'done', item })).toBeNull();
  });
});

describe('restricting a link', () => {
  const base = actionsFor(findingDetail())[1].request;
  const now = new Date(2026, 11, 1, 12, 0, 0);

  it('offers only narrower access', () => {
    expect(narrowerAccess('open')).toEqual(['company', 'collaborators']);
    expect(narrowerAccess('company')).toEqual(['collaborators']);
    expect(narrowerAccess('collaborators')).toEqual([]);
  });

  it('makes the request from the form; the expiry is the end of that local day', () => {
    const made = restrictRequest(base, { access: 'company', disableDownload: true, expires: '2026-12-31' }, now);
    expect(made).toEqual({
      request: {
        ...base,
        kind: 'restrict_link',
        access: 'company',
        disable_download: true,
        expires_at: new Date(2026, 11, 31, 23, 59, 59).toISOString(),
      },
    });
  });

  it('refuses an empty form, a past or impossible date', () => {
    expect(restrictRequest(base, { access: '', disableDownload: false, expires: '' }, now)).toEqual({ error: 'Choose at least one restriction.' });
    expect(restrictRequest(base, { access: '', disableDownload: false, expires: '2026-11-30' }, now)).toEqual({ error: 'The expiry must be in the future.' });
    expect(restrictRequest(base, { access: '', disableDownload: false, expires: '2026-02-31' }, now)).toEqual({ error: 'The expiry is not a date.' });
  });
});

describe('a change in words', () => {
  it('says none, a link by its traits, a collaboration by login and role, a location by its path', () => {
    expect(changeValue(null)).toBe('none');
    expect(changeValue({ access: 'open', can_download: true, can_edit: true, password: false, unshared_at: null })).toBe('open link (can download, can edit)');
    expect(changeValue({ access: 'company', can_download: false, can_edit: false, password: true, unshared_at: '2026-12-31T12:00:00Z' })).toMatch(
      /^company link \(preview only, password set, expires 2026-12-31 \d\d:\d\d\)$/,
    );
    expect(
      changeValue({ collaboration_id: '9', login: 'eve@partner.example', grantee_type: 'user', grantee_id: '77', role: 'editor', status: 'pending', external: true }),
    ).toBe('eve@partner.example (editor, invite pending)');
    expect(changeValue({ parent_id: '5', path: 'All Files/Finance/Q3.xlsx', owner_login: 'ann@x.example' })).toBe('All Files/Finance/Q3.xlsx (owner ann@x.example)');
    expect(changeValue({ folder: 'Box Connector Quarantine/file-1001', owner: 'you' })).toBe('Box Connector Quarantine/file-1001 (owner you)');
    expect(changeValue({ something: 1, other: null })).toBe('something 1');
    expect(changeValue([])).toBe('none');
  });

  it('names the target', () => {
    expect(targetLabel('shared_link')).toBe('Shared link');
    expect(targetLabel('collaboration:9001')).toBe('Collaboration 9001');
    expect(targetLabel('collaborator:eve@partner.example')).toBe('Collaborator eve@partner.example');
  });
});

describe('bulk progress', () => {
  it('counts every outcome against the total', () => {
    const c = bulkCounts(bulkProgress({ total: 10, done: 5, unchanged: 1, failed: 1, refused: 1 }));
    expect(c).toMatchObject({ handled: 8, total: 10, share: 0.8, finished: false });
    expect(c.text).toBe('8 of 10: 5 done, 1 unchanged, 1 failed, 1 refused');
    expect(bulkCounts(bulkProgress({ total: 0, finished_at: new Date().toISOString() }))).toMatchObject({ share: 1, finished: true });
  });

  it("takes core's ETA, else the pace so far, and says when it is finished", () => {
    const started = Date.parse('2026-12-01T10:00:00Z');
    const p = bulkProgress({ total: 100, done: 20, started_at: new Date(started).toISOString() });
    // 20 items in 40 s: 2 s each, 80 to go.
    expect(bulkEta(p, started + 40_000)).toBe(160);
    expect(bulkEtaText(p, started + 40_000)).toBe('3 min');
    expect(bulkEta({ ...p, eta_seconds: 30 }, started + 40_000)).toBe(30);
    expect(bulkEta({ ...p, done: 0 }, started + 40_000)).toBeNull();
    expect(bulkEtaText({ ...p, done: 0 }, started + 40_000)).toBe('estimating…');
    expect(bulkEtaText({ ...p, done: 100 }, started + 40_000)).toBe('finished');
    expect(bulkTook({ ...p, done: 100, finished_at: new Date(started + 75_000).toISOString() })).toBe('1 min');
    expect(bulkTook(p)).toBe('—');
  });
});

describe('policies', () => {
  it('needs a name, and an action to act automatically', () => {
    expect(newPolicy(EMPTY_POLICY)).toEqual({ error: 'Give the policy a name.' });
    expect(newPolicy({ ...EMPTY_POLICY, name: 'x', autoAct: true })).toEqual({ error: 'Choose the action to take automatically.' });
    const made = newPolicy({ ...EMPTY_POLICY, name: ' Cards ', kinds: ['public_link'], alsoHolds: 'credit_card', action: 'remove_link', owner: ' ' });
    expect(made).toEqual({
      policy: {
        name: 'Cards',
        matches: {
          kinds: ['public_link'],
          detectors: [],
          min_confidence: null,
          min_severity: null,
          file_has_detector: 'credit_card',
          owner_login: null,
          path_prefix: null,
        },
        action: 'remove_link',
        // An action without the explicit tick is never taken on its own.
        auto_act: false,
      },
    });
  });

  it('summarises what a policy matches', () => {
    expect(matchSummary({ kinds: [], detectors: [], min_confidence: null, min_severity: null, file_has_detector: null, owner_login: null, path_prefix: null })).toBe(
      'every finding',
    );
    expect(
      matchSummary({ kinds: ['public_link'], detectors: [], min_confidence: null, min_severity: 'high', file_has_detector: 'credit_card', owner_login: null, path_prefix: 'All Files/Finance' }),
    ).toBe('Public link · files also holding Payment card · High or worse · under All Files/Finance');
  });
});

describe('words and names', () => {
  it('says why acting is off', () => {
    expect(actingBlocked(governanceStatus())).toBeNull();
    expect(actingBlocked(governanceStatus({ enabled: false }))).toMatch(/^Governance is off/);
    expect(actingBlocked(governanceStatus({ can_write: false }))).toMatch(/root_readwrite/);
    expect(actingBlocked(null)).toMatch(/Reading/);
  });

  it('names the audit export by day and the bulk filter in words', () => {
    expect(auditFileName('csv', new Date(2026, 11, 1))).toBe('box-audit-2026-12-01.csv');
    expect(filterWords({ severity: null, kind: 'public_link', detector: null, owner_login: null, file_has_detector: 'credit_card', include_closed: false })).toBe(
      'Public link · on files also holding Payment card',
    );
    expect(filterWords({ severity: null, kind: null, detector: null, owner_login: null, file_has_detector: null, include_closed: false })).toBe('every open finding');
  });
});
