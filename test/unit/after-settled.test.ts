import { afterSettled } from '../../src/workflows/after-settled';

describe('afterSettled', () => {
  it('hands the value to onValue', async () => {
    await expect(
      afterSettled(
        () => Promise.resolve(2),
        (value) => value * 3,
        () => -1,
      ),
    ).resolves.toBe(6);
  });

  it('hands a rejection to onError, which may turn it into a value', async () => {
    await expect(
      afterSettled(
        () => Promise.reject(new TypeError('down')),
        () => 'ok',
        (err) => (err as Error).name,
      ),
    ).resolves.toBe('TypeError');
  });

  it('handles a synchronous throw of start as a rejection, as an async function would', async () => {
    const start = (): Promise<number> => {
      throw new RangeError('bad options');
    };
    await expect(
      afterSettled(
        start,
        () => 'ok',
        (err) => `caught ${(err as Error).name}`,
      ),
    ).resolves.toBe('caught RangeError');
  });

  it('rejects when onValue throws, without calling onError', async () => {
    const onError = jest.fn(() => 'handled');
    const settled = afterSettled(
      () => Promise.resolve(1),
      () => {
        throw new SyntaxError('bad answer');
      },
      onError,
    );
    await expect(settled).rejects.toMatchObject({ name: 'SyntaxError' });
    expect(onError).not.toHaveBeenCalled();
  });
});
