import { isAbsolute, relative, sep } from 'node:path';

/**
 * Whether `path` is `root` itself or lies below it, compared as written (both should be absolute and
 * resolved; symbolic links are not followed, so check `realpath`s as well where links may point out).
 * `root/../x`, a sibling `root-other/x` and another drive are outside.
 */
export function isPathInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
