// Paging through a long list a page at a time (findings, the audit log), and
// the keyboard's moves through a table's rows.

export interface PageInfo {
  /** 1-based first and last row shown; 0, 0 when there are none. */
  from: number;
  to: number;
  page: number;
  pages: number;
  hasPrev: boolean;
  hasNext: boolean;
}

export function pageInfo(total: number, offset: number, shown: number, limit: number): PageInfo {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.min(pages, Math.floor(offset / limit) + 1);
  return {
    from: shown ? offset + 1 : 0,
    to: offset + shown,
    page,
    pages,
    hasPrev: offset > 0,
    hasNext: offset + shown < total,
  };
}

/** The offset of the page that holds `offset` once `total` shrank (rows closed meanwhile). */
export function clampOffset(offset: number, total: number, limit: number): number {
  if (total <= 0 || offset <= 0) return 0;
  const last = Math.floor((total - 1) / limit) * limit;
  return Math.min(Math.floor(offset / limit) * limit, last);
}

/** Where a key moves the table's active row; `null` when it is not a move. */
export function rowForKey(key: string, index: number, rows: number, pageStep = 10): number | null {
  if (rows <= 0) return null;
  const last = rows - 1;
  const from = index < 0 ? -1 : Math.min(index, last);
  switch (key) {
    case 'ArrowDown':
      return Math.min(last, from + 1);
    case 'ArrowUp':
      return from < 0 ? 0 : Math.max(0, from - 1);
    case 'Home':
      return 0;
    case 'End':
      return last;
    case 'PageDown':
      return Math.min(last, Math.max(0, from) + pageStep);
    case 'PageUp':
      return Math.max(0, from - pageStep);
    default:
      return null;
  }
}
