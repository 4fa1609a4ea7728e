export * from './former-dfer';
export * from './m3dfel';
export * from './mae-dfer';
export * from './rdfer';
export * from './au-mtl';
