"""Nested structures of sources and gradients (lists, tuples, dicts), flattened to leaves and
packed back in the same shape, as `tape.gradient(loss, {"w": w, "b": [b]})` returns them."""


def _flatten(x):
    """(leaves, structure) for nested lists/tuples/dicts; a leaf's structure is None, a flat
    list or tuple's (its type, None)."""
    if isinstance(x, (list, tuple)):
        for v in x:
            if isinstance(v, (list, tuple, dict)):
                break
        else:  # flat (`tape.gradient(loss, [w, b])`): no per-leaf structure
            return list(x), (type(x), None)
        leaves, structs = [], []
        for v in x:
            lv, s = _flatten(v)
            leaves += lv
            structs.append((len(lv), s))
        return leaves, (type(x), structs)
    if isinstance(x, dict):
        keys = sorted(x)
        leaves, structs = [], []
        for k in keys:
            lv, s = _flatten(x[k])
            leaves += lv
            structs.append((k, len(lv), s))
        return leaves, (dict, structs)
    return [x], None


def _pack(structure, leaves):
    if structure is None:
        return leaves[0]
    kind, structs = structure
    if structs is None:
        return leaves if kind is list else kind(leaves)
    if kind is dict:
        out, i = {}, 0
        for k, n, s in structs:
            out[k] = _pack(s, leaves[i:i + n])
            i += n
        return out
    out, i = [], 0
    for n, s in structs:
        out.append(_pack(s, leaves[i:i + n]))
        i += n
    return out if kind is list else kind(out)
