import { AccessMode, AttrOp, BATCH_ONLY_OPS, buildAttrStatement, buildCallerReadMany, OwnerKind } from './attr-sql';

/**
 * Every statement attr-sql.ts builds, pinned as its SQL text: a change to any statement that runs
 * shows up in review as a change to __snapshots__/attr-sql.spec.ts.snap.
 */
const KINDS: OwnerKind[] = ['session', 'user'];
const MODES: AccessMode[] = ['direct', 'caller', 'caller_token'];
/** `caller_token` names a session by its UST: session attributes only. */
const modesOf = (kind: OwnerKind) => MODES.filter((mode) => kind === 'session' || mode !== 'caller_token');
const OPS: AttrOp[] = ['create', 'set', 'update', 'updateEach', 'read', 'probe', 'list', 'delete', 'deleteEach'];

describe('attribute statements', () => {
  for (const kind of KINDS) {
    for (const mode of modesOf(kind)) {
      for (const op of OPS) {
        for (const single of BATCH_ONLY_OPS.has(op) ? [false] : [true, false]) {
          it(`${kind} ${mode} ${op}${single ? ' (one item)' : ' (batch)'}`, () => {
            const { name, text } = buildAttrStatement(kind, mode, op, single);
            expect(`-- ${name}\n${text}`).toMatchSnapshot();
          });
        }
      }
    }
  }

  for (const kind of KINDS) {
    it(`${kind} callers read (the gets of many REST callers in one statement)`, () => {
      const { name, text } = buildCallerReadMany(kind);
      expect(`-- ${name}\n${text}`).toMatchSnapshot();
    });
  }

  it('gives every statement its own prepared-statement name', () => {
    const names = new Set<string>();
    let count = 0;
    for (const kind of KINDS) for (const mode of modesOf(kind)) for (const op of OPS) for (const single of [true, false]) {
      if (BATCH_ONLY_OPS.has(op) && single) continue;
      names.add(buildAttrStatement(kind, mode, op, single).name);
      count++;
    }
    expect(names.size).toBe(count);
  });
});
