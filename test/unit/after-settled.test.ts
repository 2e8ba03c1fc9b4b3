import { afterSettled, isPromise, Pending, rethrow, type Settled } from '../../src/workflows/after-settled';

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

describe('Pending', () => {
  it('runs every stage on the value, in order, with one continuation', async () => {
    const seen: string[] = [];
    const start = jest.fn(() => Promise.resolve(2));
    const pending = Pending.of(start, (value) => (seen.push('first'), value + 1), rethrow).map((value) => (seen.push('second'), value * 10), rethrow);
    // Nothing starts before `settled()`: the caller decides when the call is made.
    expect(start).not.toHaveBeenCalled();
    await expect(pending.settled()).resolves.toBe(30);
    expect(seen).toEqual(['first', 'second']);
  });

  it('hands a rejection to the first stage that handles it, and the stages after it go on with its value', async () => {
    const pending = Pending.from<number>(() => Promise.reject(new TypeError('down')))
      .map(
        (value) => value + 1,
        (err) => ((err as Error).name === 'TypeError' ? -1 : 0),
      )
      .map((value) => `got ${value}`, rethrow);
    await expect(pending.settled()).resolves.toBe('got -1');
  });

  it("hands a throw of one stage to the next stage's error handler", async () => {
    const pending = Pending.from(() => Promise.resolve(1))
      .map((): number => {
        throw new RangeError('bad answer');
      }, rethrow)
      .map(
        () => 'ok',
        (err) => `caught ${(err as Error).name}`,
      );
    await expect(pending.settled()).resolves.toBe('caught RangeError');
  });

  it('rejects with the error no stage handled', async () => {
    const pending = Pending.from(() => Promise.reject(new SyntaxError('no'))).map((value) => value, rethrow);
    await expect(pending.settled()).rejects.toMatchObject({ name: 'SyntaxError' });
  });

  it('continues on a promise a stage hands back (a fallback), for its value and its failure', async () => {
    const fallback = Pending.from(() => Promise.resolve('first')).map((value) => Promise.resolve(`${value}, then fallback`), rethrow);
    await expect(fallback.map((value) => value.toUpperCase(), rethrow).settled()).resolves.toBe('FIRST, THEN FALLBACK');
    const failing = Pending.from(() => Promise.resolve(1))
      .map((): Promise<number> => Promise.reject(new EvalError('fallback down')), rethrow)
      .map(
        () => 'ok',
        (err) => (err as Error).name,
      );
    await expect(failing.settled()).resolves.toBe('EvalError');
  });

  it('handles a synchronous throw of start as a rejection', async () => {
    const start = (): Promise<number> => {
      throw new URIError('bad options');
    };
    await expect(
      Pending.of(
        start,
        () => 'ok',
        (err) => (err as Error).name,
      ).settled(),
    ).resolves.toBe('URIError');
  });

  describe('begun and resumed by the loop (no continuation of its own)', () => {
    /** What the loop does: await the call's own promise, then continue it in place with what it settled with. */
    async function awaitInPlace<T>(pending: Pending<T>): Promise<T> {
      let started: Promise<unknown>;
      try {
        started = pending.start();
      } catch (error) {
        started = Promise.reject(error);
      }
      const settled = await started.then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      );
      const resumed = pending.resume(settled);
      return isPromise(resumed) ? await resumed : resumed;
    }

    it('start hands back the call itself, untouched, and resume applies every stage to its value', async () => {
      const call = Promise.resolve(2);
      const pending = Pending.from(() => call).map((value) => value * 10, rethrow);
      expect(pending.start()).toBe(call);
      await expect(awaitInPlace(pending)).resolves.toBe(20);
    });

    it("a synchronous throw of start reaches the stages' error handlers, as a rejection would", async () => {
      const pending = Pending.of(
        (): Promise<number> => {
          throw new URIError('bad options');
        },
        () => 'ok',
        (err) => (err as Error).name,
      ).map((name) => `${name} handled`, rethrow);
      await expect(awaitInPlace(pending)).resolves.toBe('URIError handled');
    });

    it('a failure of the call goes to the stages’ error handlers; a throw of a stage is not handled by its own', async () => {
      const handled = Pending.from<number>(() => Promise.reject(new TypeError('down'))).map(
        (value) => value,
        (err) => ((err as Error).name === 'TypeError' ? -1 : 0),
      );
      await expect(awaitInPlace(handled)).resolves.toBe(-1);
      const onError = jest.fn(() => 'handled');
      const throwing = Pending.of(
        () => Promise.resolve(1),
        (): string => {
          throw new RangeError('bad answer');
        },
        onError,
      );
      await expect(awaitInPlace(throwing)).rejects.toMatchObject({ name: 'RangeError' });
      expect(onError).not.toHaveBeenCalled();
    });

    it('a synchronous throw of start is a rejected call, and a stage’s promise comes back to be awaited', async () => {
      const start = (): Promise<number> => {
        throw new URIError('bad options');
      };
      await expect(
        awaitInPlace(
          Pending.of(
            start,
            () => 'ok',
            (err) => (err as Error).name,
          ),
        ),
      ).resolves.toBe('URIError');
      const fallback = Pending.from(() => Promise.resolve('first')).map((value) => Promise.resolve(`${value}, then fallback`), rethrow);
      expect(isPromise(fallback.resume({ ok: true, value: 'first' }))).toBe(true);
      await expect(awaitInPlace(fallback)).resolves.toBe('first, then fallback');
    });
  });
});
