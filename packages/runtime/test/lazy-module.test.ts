import { lazyModule } from '@dfer/runtime';

describe('lazyModule', () => {
  const spec = { name: 'some-addon', neededBy: '@dfer/example', purpose: 'testing' };

  it('loads on the first call only, then returns the same module', () => {
    let loads = 0;
    const module = { value: 42 };
    const load = lazyModule(() => {
      loads++;
      return module;
    }, spec);
    expect(loads).toBe(0);
    expect(load()).toBe(module);
    expect(load()).toBe(module);
    expect(loads).toBe(1);
  });

  it('names the package, who needs it and why; keeps the cause; retries after a failure', () => {
    let loads = 0;
    const cause = new Error("Cannot find module 'some-addon'\nRequire stack:\n- /somewhere");
    const load = lazyModule(() => {
      loads++;
      if (loads === 1) throw cause;
      return 'loaded';
    }, spec);
    let error: Error | undefined;
    try {
      load();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe(
      "@dfer/example needs some-addon for testing, and it could not be loaded (Cannot find module 'some-addon'). " +
        'It is a dependency of @dfer/example with prebuilt binaries per platform: reinstall it for this platform.',
    );
    expect(error?.cause).toBe(cause);
    expect(load()).toBe('loaded');
    expect(loads).toBe(2);
  });

  it('uses the given remedy', () => {
    const load = lazyModule(
      () => {
        throw new Error('dlopen failed');
      },
      { ...spec, remedy: 'Install it.' },
    );
    expect(load).toThrow(
      '@dfer/example needs some-addon for testing, and it could not be loaded (dlopen failed). Install it.',
    );
  });
});
