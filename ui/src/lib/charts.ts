// Chart.js 4, with only the pieces the scan's and the findings' charts draw (bars, lines, a
// category and a linear axis), and the colours for each scheme.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ChartConfiguration } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

export { Chart };
export type { ChartConfiguration };

export interface Palette {
  text: string;
  grid: string;
  modify: string;
  share: string;
  read: string;
  delete: string;
  other: string;
  scanned: string;
  listed: string;
  /** Findings by severity: a ramp from slate to deep red, readable on both schemes. */
  critical: string;
  high: string;
  medium: string;
  low: string;
}

const LIGHT: Palette = {
  text: '#5b6776',
  grid: '#e6eaf0',
  modify: '#0061d5',
  share: '#8a4fd8',
  read: '#2f9e8f',
  delete: '#c5261b',
  other: '#98a2b3',
  scanned: '#0061d5',
  listed: '#a25b00',
  critical: '#a4161a',
  high: '#e5533d',
  medium: '#e0a100',
  low: '#98a2b3',
};

const DARK: Palette = {
  text: '#9aa5b3',
  grid: '#2a323c',
  modify: '#3d8bfd',
  share: '#b48cf2',
  read: '#4fc1b0',
  delete: '#f2726a',
  other: '#6b7685',
  scanned: '#3d8bfd',
  listed: '#f0a94a',
  critical: '#ff5d57',
  high: '#ff9966',
  medium: '#f3c74f',
  low: '#74808f',
};

export const palette = (scheme: 'light' | 'dark'): Palette => (scheme === 'dark' ? DARK : LIGHT);

/** Axes, legend and tooltips shared by every chart, in the scheme's colours. */
export function baseOptions(p: Palette, stacked: boolean) {
  const axis = { stacked, ticks: { color: p.text }, grid: { color: p.grid }, border: { color: p.grid } };
  return {
    responsive: true,
    maintainAspectRatio: false,
    // Redrawn every few seconds: no animation to sit through (or to cost CPU).
    animation: false as const,
    interaction: { mode: 'index' as const, intersect: false },
    scales: {
      x: { ...axis, ticks: { ...axis.ticks, maxRotation: 0, autoSkipPadding: 12 } },
      y: { ...axis, beginAtZero: true, ticks: { ...axis.ticks, precision: 0 } },
    },
    plugins: { legend: { position: 'bottom' as const, labels: { color: p.text, boxWidth: 12 } } },
  };
}
