// Needs a running gradd server at $GRADD_ADDR (default localhost:50051); starts nothing itself.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { runSeedCell } = require('../seed.js');

test('seed cell 34: dl_dw rows are x_i * dl_db, in one Run', async () => {
  const r = await runSeedCell(process.env.GRADD_ADDR || 'localhost:50051');
  assert.deepStrictEqual(r.dl_dw.shape, [3, 2]);
  assert.deepStrictEqual(r.dl_db.shape, [2]);
  const x = [1, 2, 3];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      const want = x[i] * r.dl_db.values[j];
      const got = r.dl_dw.values[i * 2 + j];
      assert.ok(Math.abs(got - want) <= 1e-5 + 1e-5 * Math.abs(want), `dl_dw[${i}][${j}] = ${got}, want ${want}`);
    }
  }
  // dl_db = d mean(y^2)/dy = y = x @ w (b = 0)
  for (let j = 0; j < 2; j++) {
    const y = x.reduce((s, xi, i) => s + xi * r.w[i * 2 + j], 0);
    assert.ok(Math.abs(r.dl_db.values[j] - y) <= 1e-4 + 1e-4 * Math.abs(y));
  }
});
