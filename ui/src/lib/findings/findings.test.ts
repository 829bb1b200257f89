import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, exportFileName, filterKey, isFiltered, toFilter } from './query';
import { bySeverity, detailFields, detectorLabel, notInspectedLabel, SEVERITIES, severityRank } from './words';

describe('severity', () => {
  it('orders most severe first, as core ranks them', () => {
    expect(SEVERITIES).toEqual(['critical', 'high', 'medium', 'low']);
    expect(severityRank('critical')).toBe(4);
    expect(severityRank('low')).toBe(1);
    expect(severityRank('bogus')).toBe(0);
    const rows = [{ severity: 'low' }, { severity: 'critical' }, { severity: 'medium' }, { severity: 'high' }];
    expect(rows.sort(bySeverity).map((r) => r.severity)).toEqual(['critical', 'high', 'medium', 'low']);
  });
});

describe('filter → query', () => {
  it('maps the empty form to a filter that matches everything', () => {
    expect(toFilter(EMPTY_FORM)).toEqual({
      severity: null,
      kind: null,
      detector: null,
      owner_login: null,
      file_has_detector: null,
      include_closed: false,
    });
    expect(isFiltered(EMPTY_FORM)).toBe(false);
  });

  it('keeps known values, trims text and drops what core would refuse', () => {
    const f = toFilter({
      severity: 'high',
      kind: 'public_link',
      detector: ' credit_card ',
      owner: 'ana@acme.com',
      alsoHolds: 'us_ssn',
      includeClosed: true,
    });
    expect(f).toEqual({
      severity: 'high',
      kind: 'public_link',
      detector: 'credit_card',
      owner_login: 'ana@acme.com',
      file_has_detector: 'us_ssn',
      include_closed: true,
    });
    expect(isFiltered({ ...EMPTY_FORM, alsoHolds: 'credit_card' })).toBe(true);
    expect(filterKey(toFilter({ ...EMPTY_FORM, alsoHolds: 'credit_card' }))).not.toBe(filterKey(toFilter(EMPTY_FORM)));
    expect(toFilter({ ...EMPTY_FORM, severity: 'severe', kind: 'link', owner: '   ' })).toEqual(toFilter(EMPTY_FORM));
    expect(isFiltered({ ...EMPTY_FORM, includeClosed: true })).toBe(true);
  });

  it('keys filters so a stale answer can be told apart', () => {
    const a = toFilter({ ...EMPTY_FORM, severity: 'high' });
    const b = toFilter({ ...EMPTY_FORM, kind: 'company_link' });
    expect(filterKey(a)).not.toBe(filterKey(b));
    expect(filterKey(a)).toBe(filterKey(toFilter({ ...EMPTY_FORM, severity: 'high' })));
  });

  it('names the export after its filter and the day', () => {
    const day = new Date(2026, 11, 1, 9, 30);
    expect(exportFileName('csv', toFilter(EMPTY_FORM), day)).toBe('box-findings-2026-12-01.csv');
    expect(exportFileName('json', toFilter({ ...EMPTY_FORM, severity: 'critical', kind: 'public_link' }), day)).toBe(
      'box-findings-critical-public-link-2026-12-01.json',
    );
  });
});

describe('words', () => {
  it('shows a link’s details as readable fields, known ones first', () => {
    const fields = detailFields({ unshared_at: null, can_edit: true, access: 'open', password: false, extra_thing: 3 });
    expect(fields.map((f) => [f.label, f.value])).toEqual([
      ['Link access', 'Open (anyone with the link)'],
      ['Can edit', 'Yes'],
      ['Password set', 'No'],
      ['Link expires', 'never'],
      ['Extra thing', '3'],
    ]);
    expect(detailFields(null)).toEqual([]);
  });

  it('names detectors and not-inspected reasons, and unknown ones readably', () => {
    expect(detectorLabel('credit_card')).toBe('Payment card');
    expect(detectorLabel('new_detector')).toBe('New detector');
    expect(notInspectedLabel('too_large')).toBe('Too large');
    expect(notInspectedLabel('extractor_crashed')).toBe('Reader crashed');
    expect(notInspectedLabel('limit_exceeded')).toBe('Over a reader limit');
    expect(notInspectedLabel('download_failed')).toBe('Download failed');
  });
});
