// Writing a list (the findings, the audit log) to a file the admin picks:
// how far the export got, and the save dialog that asks where.
import type { ExportFormat } from './bindings/ExportFormat';
import type { ExportReport } from './bindings/ExportReport';
import type { UserError } from './bindings/UserError';

export type ExportState =
  | { state: 'idle' }
  | { state: 'choosing' | 'writing'; format: ExportFormat }
  | { state: 'done'; report: ExportReport }
  | { state: 'failed'; error: UserError };

/** The save dialog, injectable so tests need no native window. */
export type PathChooser = (format: ExportFormat, defaultName: string) => Promise<string | null>;
