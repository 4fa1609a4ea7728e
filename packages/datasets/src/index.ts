export * from './real';
export * from './synthetic';
