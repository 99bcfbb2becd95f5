/// <reference lib="dom" />
// The Cost & Checkpoints dashboard's browser entry (esbuild: platform browser, iife ->
// media/dist/dashboard.js + dashboard.css). Only the controls used are imported.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { startDashboard } from './app';

const root = document.getElementById('app');
if (root) startDashboard(acquireVsCodeApi(), root);
