"""The README's ghz `-d` body (deploy/ghz/seed-run.json) is a valid RunRequest in proto3 JSON
and answers the seed cell in one Run: what ghz sends is exactly this message."""
import json
import os

import grpc
from google.protobuf import json_format

from conftest import REPO, pb, pb_grpc

BODY = os.path.join(REPO, "deploy", "ghz", "seed-run.json")


def test_ghz_body_runs_the_seed_cell(server):
    with open(BODY) as f:
        req = json_format.Parse(f.read(), pb.RunRequest())
    assert len(req.steps) == 12
    with grpc.insecure_channel(server.addr) as ch:
        resp = pb_grpc.GraddStub(ch).Run(req, timeout=30)
    grad = resp.results[10].values
    dw, db = grad[0].tensor, grad[1].tensor
    assert list(dw.shape) == [3, 2] and list(db.shape) == [2]
    # dl/dw row i = x_i * dl/db (x = [1, 2, 3]).
    for i in range(3):
        for j in range(2):
            assert abs(dw.float_val[i * 2 + j] - (i + 1) * db.float_val[j]) < 1e-5
    assert json.loads(open(BODY).read())["session_id"] == ""
