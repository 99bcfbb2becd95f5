export * from './cost';
export * from './parse';
export * from './script';
export * from './states';
