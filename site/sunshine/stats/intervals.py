"""The compiled loops of ``exposure``'s attack: interval propagation over every identity of a
region tree, to a fixed point, and what it pins.

Cells are numbered region by region (``position * size + cell``). Identity ``ci`` is, for
``ci < regions * relations``, relation ``ci % relations`` of region ``ci // relations``; after
those, a parent's household cell as the sum of its children's, parent by parent. The tree's
shape is passed as arrays (``exposure.Attacker.shape``), the identities worked out from it
on the fly: a province has millions of them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sunshine.stats.settle import COMPLEMENT, PUBLISHED, SMALL

#: An unbounded figure's upper bound (no count comes near it). Bounds are kept in 32 bits, to
#: halve what the attack reads; sums are taken in 64.
INF = (1 << 31) - 1
#: The time of a bound that rests on no changed figure.
NEVER = (1 << 62)


@njit(cache=True, nogil=True)
def page_bounds(st, values, k, lo, hi):  # pragma: no cover
    """What a page shows of each cell: a published figure is itself, "<k" 0..k-1, "×" at
    least k, "—" (or never shown) at least 0."""
    for g in range(len(st)):
        s = st[g]
        if s == PUBLISHED:
            lo[g] = hi[g] = values[g]
        elif s == SMALL:
            lo[g], hi[g] = 0, k - 1
        elif s == COMPLEMENT:
            lo[g], hi[g] = k, INF
        else:
            lo[g], hi[g] = 0, INF


@njit(cache=True, nogil=True)
def closed(st, lo, hi, hpos, size):  # pragma: no cover
    """The hidden household cells the attack pinned."""
    count = 0
    for g in range(len(st)):
        if st[g] != PUBLISHED and lo[g] == hi[g] and hpos[g % size] >= 0:
            count += 1
    out = np.empty(count, np.int64)
    count = 0
    for g in range(len(st)):
        if st[g] != PUBLISHED and lo[g] == hi[g] and hpos[g % size] >= 0:
            out[count] = g
            count += 1
    return out


@njit(cache=True, nogil=True, inline="always")
def terms(ci, buf_c, buf_s, size, regions, relations, households, t_ptr, t_cell, t_sign, r_ptr,
           r_of, hpos, hh, par_idx, up_idx, parents, kid_ptr, kids):  # pragma: no cover
    """Identity ``ci`` as signed cells (the signed sum is 0) in ``buf_c``/``buf_s``; returns
    how many."""
    if ci < regions * relations:
        p, j = ci // relations, ci % relations
        m = 0
        for t in range(t_ptr[j], t_ptr[j + 1]):
            buf_c[m] = p * size + t_cell[t]
            buf_s[m] = t_sign[t]
            m += 1
        return m
    q = ci - regions * relations
    pi, h = q // households, q % households
    i = hh[h]
    buf_c[0] = parents[pi] * size + i
    buf_s[0] = 1
    m = 1
    for t in range(kid_ptr[pi], kid_ptr[pi + 1]):
        buf_c[m] = kids[t] * size + i
        buf_s[m] = -1
        m += 1
    return m


@njit(cache=True, nogil=True, inline="always")
def sums(m, lo, hi, buf_c, buf_s):  # pragma: no cover
    """Finite parts of the signed terms' lower and upper bounds, and how many are unbounded."""
    s_lo = s_hi = 0
    n_lo = n_hi = 0  # terms unbounded below, above
    for j in range(m):
        g = buf_c[j]
        if buf_s[j] > 0:
            s_lo += lo[g]
            if hi[g] >= INF:
                n_hi += 1
            else:
                s_hi += hi[g]
        else:
            s_hi -= lo[g]
            if hi[g] >= INF:
                n_lo += 1
            else:
                s_lo -= hi[g]
    return s_lo, s_hi, n_lo, n_hi


@njit(cache=True, nogil=True, inline="always")
def bound(j, s_lo, s_hi, n_lo, n_hi, lo, hi, buf_c, buf_s):  # pragma: no cover
    """What the identity says about its ``j``-th cell: (lo, hi), INF when unbounded above."""
    g = buf_c[j]
    unbounded = hi[g] >= INF
    if buf_s[j] > 0:  # x = -(the others' terms)
        others_hi_open = n_hi - (1 if unbounded else 0) > 0
        others_lo_open = n_lo > 0
        others_hi = s_hi - (0 if unbounded else hi[g])
        others_lo = s_lo - lo[g]
        new_lo = -INF if others_hi_open else -others_hi
        new_hi = INF if others_lo_open else -others_lo
    else:  # x = the others' terms
        others_hi_open = n_hi > 0
        others_lo_open = n_lo - (1 if unbounded else 0) > 0
        others_hi = s_hi + lo[g]
        others_lo = s_lo + (0 if unbounded else hi[g])
        new_lo = -INF if others_lo_open else others_lo
        new_hi = INF if others_hi_open else others_hi
    return new_lo, new_hi


@njit(cache=True, nogil=True)
def supports(g, side, lo, hi, out, buf_c, buf_s, size, regions, relations, households, t_ptr,
             t_cell, t_sign, r_ptr, r_of, hpos, hh, par_idx, up_idx, parents, kid_ptr,
             kids):  # pragma: no cover
    """The identities that give cell ``g`` its bound on ``side`` (0 lower, 1 upper) from the
    others' bounds, in ``out``; returns how many."""
    p, i = g // size, g % size
    count = r_ptr[i + 1] - r_ptr[i]
    h = hpos[i]
    found = 0
    for x in range(count + 2):
        if x < count:
            ci = p * relations + r_of[r_ptr[i] + x]
        else:
            pi = par_idx[p] if x == count else up_idx[p]
            if h < 0 or pi < 0:
                continue
            ci = regions * relations + pi * households + h
        m = terms(ci, buf_c, buf_s, size, regions, relations, households, t_ptr, t_cell,
                  t_sign, r_ptr, r_of, hpos, hh, par_idx, up_idx, parents, kid_ptr, kids)
        s_lo, s_hi, n_lo, n_hi = sums(m, lo, hi, buf_c, buf_s)
        for j in range(m):
            if buf_c[j] == g:
                a, b = bound(j, s_lo, s_hi, n_lo, n_hi, lo, hi, buf_c, buf_s)
                if (a == lo[g]) if side == 0 else (b == hi[g]):
                    out[found] = ci
                    found += 1
                break
    return found


@njit(cache=True, nogil=True)
def tree_order(regions, relations, households, par_idx, parents):  # pragma: no cover
    """Every identity, region by region in the tree's order (a parent before its children):
    its relations, then the sums of its children's figures, which bound theirs before their
    own relations are taken."""
    queue = np.empty(regions * relations + len(parents) * households, np.int64)
    at = 0
    for p in range(regions):
        for j in range(relations):
            queue[at] = p * relations + j
            at += 1
        if par_idx[p] >= 0:
            for h in range(households):
                queue[at] = regions * relations + par_idx[p] * households + h
                at += 1
    return queue


@njit(cache=True, nogil=True, inline="always")
def _enqueue(g, ci, queue, queued, head, count, n, size, regions, relations, households, r_ptr,
             r_of, hpos, par_idx, up_idx):  # pragma: no cover
    """Put every identity cell ``g`` is in, but ``ci``, at the end of the queue (unless
    queued); returns the new count."""
    p, i = g // size, g % size
    for t in range(r_ptr[i], r_ptr[i + 1]):
        other = p * relations + r_of[t]
        if other != ci and not queued[other]:
            queued[other] = 1
            queue[(head + count) % n] = other
            count += 1
    h = hpos[i]
    if h >= 0:
        for pi in (par_idx[p], up_idx[p]):
            if pi >= 0:
                other = regions * relations + pi * households + h
                if other != ci and not queued[other]:
                    queued[other] = 1
                    queue[(head + count) % n] = other
                    count += 1
    return count


@njit(cache=True, nogil=True)
def queue_of(seed, n):  # pragma: no cover
    """A queue of identities for ``propagate`` (``n`` of them in all) holding ``seed``, each
    once: the queue, which are in it, and (head, count, steps)."""
    queue = np.empty(n, np.int64)
    queued = np.zeros(n, np.uint8)
    count = 0
    for ci in seed:
        if not queued[ci]:
            queued[ci] = 1
            queue[count] = ci
            count += 1
    return queue, queued, np.array([0, count, 0], np.int64)


@njit(cache=True, nogil=True)
def propagate(lo, hi, queue, queued, state, clock, log_t, log_c, log_i, logged, buf_c, buf_s,
              size, regions, relations, households, t_ptr, t_cell, t_sign, r_ptr, r_of, hpos,
              hh, par_idx, up_idx, parents, kid_ptr, kids):  # pragma: no cover
    """Tighten ``lo``/``hi`` in place until no identity changes them: the identities in the
    queue (``queue_of``; every identity not in it must hold already), each taken again when a
    bound of one of its cells changed.

    Every tightening is logged from index ``logged`` on: (time, cell, identity), the time being
    ``clock`` plus the step (the tightenings of one step read the bounds as they were before
    it). Returns how much of the log is used, or -1 when the bounds cross (the data break an
    identity); stops early, with the queue as it is in ``state``, when the log is full: grow
    it and call again. (The log is not grown here: arrays replaced inside the loop make every
    step slower.)"""
    n = regions * relations + len(parents) * households
    head, count, steps = state[0], state[1], state[2]
    while count > 0:
        ci = queue[head]
        m = terms(ci, buf_c, buf_s, size, regions, relations, households, t_ptr, t_cell,
                  t_sign, r_ptr, r_of, hpos, hh, par_idx, up_idx, parents, kid_ptr, kids)
        if logged + m > len(log_t):
            break
        head = head + 1 if head + 1 < n else 0
        count -= 1
        queued[ci] = 0
        steps += 1
        s_lo, s_hi, n_lo, n_hi = sums(m, lo, hi, buf_c, buf_s)
        if n_lo > 1 and n_hi > 1:
            continue  # unbounded both ways, whatever the cell
        for j in range(m):
            new_lo, new_hi = bound(j, s_lo, s_hi, n_lo, n_hi, lo, hi, buf_c, buf_s)
            g = buf_c[j]
            if new_lo <= lo[g] and new_hi >= hi[g]:
                continue
            lo[g] = max(lo[g], new_lo)
            hi[g] = min(hi[g], new_hi)
            if lo[g] > hi[g]:
                return -1
            log_t[logged], log_c[logged], log_i[logged] = clock + steps, g, ci
            logged += 1
            # Every identity the cell is in, but this one, is worth taking again (written out:
            # through a helper, even inlined, the propagation takes half as long again).
            p, i = g // size, g % size
            for t in range(r_ptr[i], r_ptr[i + 1]):
                other = p * relations + r_of[t]
                if other != ci and not queued[other]:
                    queued[other] = 1
                    queue[(head + count) % n] = other
                    count += 1
            h = hpos[i]
            if h >= 0:
                for pi in (par_idx[p], up_idx[p]):
                    if pi >= 0:
                        other = regions * relations + pi * households + h
                        if other != ci and not queued[other]:
                            queued[other] = 1
                            queue[(head + count) % n] = other
                            count += 1
    state[0], state[1], state[2] = head, count, steps
    return logged


@njit(cache=True, nogil=True)
def identities_of(cells, size, regions, relations, households, r_ptr, r_of, hpos, par_idx,
                  up_idx, parents):  # pragma: no cover
    """Every identity one of ``cells`` is in, each once."""
    n = regions * relations + len(parents) * households
    queue = np.empty(n, np.int64)
    queued = np.zeros(n, np.uint8)
    count = 0
    for g in cells:
        count = _enqueue(g, -1, queue, queued, 0, count, n, size, regions, relations,
                         households, r_ptr, r_of, hpos, par_idx, up_idx)
    return queue[:count]


@njit(cache=True, nogil=True)
def invalidated(changed, cells_total, log_t, log_c, log_i, used, size, regions, relations,
                households, r_ptr, r_of, hpos, par_idx, up_idx, parents):  # pragma: no cover
    """From when on each cell's bound may rest on a cell of ``changed`` (its page bound
    changed): -1 for those, the time of the first logged tightening that read such a bound
    (directly or through others) for the rest, ``NEVER`` when none did. Keeps, in place, the
    tightenings that still hold (each cell's, before its bound went wrong); returns the times
    and how many are kept.

    A tightening at time t read the bounds the other cells of its identity had before t: it is
    unsound once one of them is. The log is in time order, so one pass sees every bound go
    wrong before any tightening that read it."""
    n = regions * relations + len(parents) * households
    since = np.full(cells_total, NEVER, np.int64)
    # For each identity, since when one of its cells' bounds is unsound.
    unsound = np.full(n, NEVER, np.int64)
    for g in changed:
        since[g] = -1
        _mark(g, -1, unsound, size, regions, relations, households, r_ptr, r_of, hpos,
              par_idx, up_idx)
    kept = 0
    for e in range(used):
        t, c, ci = log_t[e], log_c[e], log_i[e]
        if t >= since[c]:
            continue
        if unsound[ci] < t:
            since[c] = t
            _mark(c, t, unsound, size, regions, relations, households, r_ptr, r_of, hpos,
                  par_idx, up_idx)
            continue
        log_t[kept], log_c[kept], log_i[kept] = t, c, ci
        kept += 1
    return since, kept


@njit(cache=True, nogil=True, inline="always")
def _mark(g, t, unsound, size, regions, relations, households, r_ptr, r_of, hpos, par_idx,
          up_idx):  # pragma: no cover
    """Every identity cell ``g`` is in has an unsound bound from ``t`` on (if not before)."""
    p, i = g // size, g % size
    for x in range(r_ptr[i], r_ptr[i + 1]):
        ci = p * relations + r_of[x]
        unsound[ci] = min(unsound[ci], t)
    h = hpos[i]
    if h >= 0:
        for pi in (par_idx[p], up_idx[p]):
            if pi >= 0:
                ci = regions * relations + pi * households + h
                unsound[ci] = min(unsound[ci], t)


@njit(cache=True, nogil=True)
def differ_by_few(closed, lo, hi, values, k, buf_c, buf_s, size, regions, relations, households,
                   t_ptr, t_cell, t_sign, r_ptr, r_of, hpos, hh, par_idx, up_idx, parents,
                   kid_ptr, kids):  # pragma: no cover
    """The identities, among those of the hidden cells the attack pinned (``closed``), whose
    undetermined cells stand on one side only and add up to 1..k-1 (what published or pinned
    figures differ by). Without a pinned hidden cell an identity's undetermined cells are its
    hidden ones, as in the local checks, which settled that already."""
    n = regions * relations + len(parents) * households
    seen = np.zeros(n, np.uint8)
    out = []
    for g in closed:
        p, i = g // size, g % size
        count = r_ptr[i + 1] - r_ptr[i]
        h = hpos[i]
        for x in range(count + 2):
            if x < count:
                ci = p * relations + r_of[r_ptr[i] + x]
            else:
                pi = par_idx[p] if x == count else up_idx[p]
                if h < 0 or pi < 0:
                    continue
                ci = regions * relations + pi * households + h
            if seen[ci]:
                continue
            seen[ci] = 1
            m = terms(ci, buf_c, buf_s, size, regions, relations, households, t_ptr, t_cell,
                       t_sign, r_ptr, r_of, hpos, hh, par_idx, up_idx, parents, kid_ptr, kids)
            plus = minus = 0
            residual = 0
            for j in range(m):
                c = buf_c[j]
                if lo[c] < hi[c]:
                    residual += values[c]
                    if buf_s[j] > 0:
                        plus += 1
                    else:
                        minus += 1
            if (plus == 0) != (minus == 0) and 0 < residual < k:
                out.append(ci)
    return out
