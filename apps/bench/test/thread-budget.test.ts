import { createThreadBudget } from '../src/matrix/thread-budget';

describe('createThreadBudget', () => {
  it('starts cells while their threads fit, in the order they asked, and refuses more than the whole budget', async () => {
    const budget = createThreadBudget(2);
    const started: string[] = [];
    const a = budget.take(2).then(() => started.push('a (2)'));
    const b = budget.take(1).then(() => started.push('b (1)'));
    const c = budget.take(1).then(() => started.push('c (1)'));
    await a;
    await Promise.resolve();
    expect(started).toEqual(['a (2)']);
    expect(budget.free).toBe(0);
    budget.giveBack(2);
    await Promise.all([b, c]);
    expect(started).toEqual(['a (2)', 'b (1)', 'c (1)']);
    expect(budget.free).toBe(0);
    budget.giveBack(1);
    budget.giveBack(1);
    expect(budget.free).toBe(2);
    await expect(budget.take(3)).rejects.toThrow(/train\.workers 3: .*more than the 2 core\(s\)/);
    expect(() => createThreadBudget(0)).toThrow(/positive integer/);
  });
});
