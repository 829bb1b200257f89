import { describe, expect, it } from 'vitest';
import { clampOffset, pageInfo, rowForKey } from './paging';

describe('paging', () => {
  it('says which rows are shown and whether there are more', () => {
    expect(pageInfo(0, 0, 0, 50)).toEqual({ from: 0, to: 0, page: 1, pages: 1, hasPrev: false, hasNext: false });
    expect(pageInfo(120, 0, 50, 50)).toEqual({ from: 1, to: 50, page: 1, pages: 3, hasPrev: false, hasNext: true });
    expect(pageInfo(120, 100, 20, 50)).toEqual({ from: 101, to: 120, page: 3, pages: 3, hasPrev: true, hasNext: false });
  });

  it('falls back to the last page when rows closed under it', () => {
    expect(clampOffset(100, 120, 50)).toBe(100);
    expect(clampOffset(100, 80, 50)).toBe(50);
    expect(clampOffset(50, 0, 50)).toBe(0);
    expect(clampOffset(73, 200, 50)).toBe(50);
  });
});

describe('keyboard moves in the table', () => {
  it('moves by one, by a page and to either end, within the rows', () => {
    expect(rowForKey('ArrowDown', 0, 5)).toBe(1);
    expect(rowForKey('ArrowDown', 4, 5)).toBe(4);
    expect(rowForKey('ArrowUp', 0, 5)).toBe(0);
    expect(rowForKey('ArrowUp', 3, 5)).toBe(2);
    expect(rowForKey('Home', 3, 5)).toBe(0);
    expect(rowForKey('End', 0, 5)).toBe(4);
    expect(rowForKey('PageDown', 0, 30)).toBe(10);
    expect(rowForKey('PageUp', 5, 30)).toBe(0);
    expect(rowForKey('a', 0, 5)).toBeNull();
    expect(rowForKey('ArrowDown', 0, 0)).toBeNull();
  });
});
