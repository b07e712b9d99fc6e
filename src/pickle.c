/* pickle.c — the pickle machine's opcode loop (see pickle.h).  Iterative:
 * no recursion, so deep nesting cannot overflow the C stack.  Every length,
 * count and memo index is checked against what is really there. */
#include "pickle_machine.h"

#include <stdlib.h>
#include <string.h>

/* Pop a target for APPEND(S)/SETITEM(S): a list, a dict or an object. */
static int add_items(struct machine *m, struct p2o_obj *target,
		     struct p2o_obj **items, size_t n, int pairs)
{
	if (pairs && n % 2)
		return pm_fail(m, "SETITEMS with an odd number of items");
	for (size_t i = 0; i < n; i += pairs ? 2 : 1) {
		int rc;
		if (pairs && target->kind == PY_DICT)
			rc = p2o_dict_set(m->a, &target->u.dict, items[i], items[i + 1]);
		else if (pairs && target->kind == PY_OBJECT)
			rc = p2o_dict_set(m->a, &target->u.object.items, items[i],
					  items[i + 1]);
		else if (!pairs && (target->kind == PY_LIST || target->kind == PY_SET))
			rc = p2o_seq_push(m->a, &target->u.seq, items[i]);
		else if (!pairs && target->kind == PY_OBJECT)
			rc = p2o_seq_push(m->a, &target->u.object.list, items[i]);
		else
			return pm_fail(m, "%s on a value that is not a %s",
				    pairs ? "SETITEM" : "APPEND",
				    pairs ? "dict" : "list");
		if (rc)
			return pm_oom(m);
	}
	return 0;
}

static int call_top(struct machine *m, struct p2o_obj *callable,
		    struct p2o_obj *args)
{
	struct p2o_obj *res = NULL;

	if (!callable || !args)
		return -1;
	if (args->kind != PY_TUPLE)
		return pm_fail(m, "call arguments are not a tuple");
	if (p2o_call(m->env, callable, args, &res, m->err)) {
		p2o_err_context(m->err, "%s @ byte %zu", m->env->where, m->op_at);
		return -1;
	}
	return pm_push(m, res);
}

static int run(struct machine *m, struct p2o_obj **out)
{
	struct p2o_obj *a, *b, *c, **items;
	size_t n, len;
	const char *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	uint64_t u;

	for (;;) {
		if (m->err->code)
			return -1;
		m->op_at = (size_t)(m->p - m->base);
		if (pm_need(m, 1, "opcode"))
			return -1;
		unsigned op = *m->p++;
		switch (op) {
		case 0x80: /* PROTO */
			if (pm_need(m, 1, "PROTO"))
				return -1;
			if (*m->p > 5)
				return pm_fail(m, "pickle protocol %u is newer than 5", *m->p);
			m->p++;
			break;
		case 0x95: /* FRAME: only a hint for buffering */
			if (pm_need(m, 8, "FRAME"))
				return -1;
			m->p += 8;
			break;
		case '.': /* STOP */
			if (m->sp != 1 || m->nmarks)
				return pm_fail(m, "STOP with %zu values on the stack", m->sp);
			*out = m->stack[0];
			return 0;
		case '(': if (pm_push_mark(m)) return -1; break;
		case '0': /* POP: with a MARK on top, POP removes the MARK */
			if (m->nmarks && m->marks[m->nmarks - 1] == m->sp)
				m->nmarks--;
			else if (!pm_pop(m))
				return -1;
			break;
		case '1': if (pm_pop_mark(m, &items, &n)) return -1; break;
		case '2': if (!(a = pm_top(m)) || pm_push(m, a)) return -1; break;
		case 'N': if (pm_push(m, p2o_obj_new(m->a, PY_NONE))) return -1; break;
		case 0x88: case 0x89:
			if (!(a = p2o_obj_new(m->a, PY_BOOL)))
				return pm_oom(m);
			a->u.boolean = op == 0x88;
			if (pm_push(m, a)) return -1;
			break;
		case 'K': case 'M': case 'J': {
			int nb = op == 'K' ? 1 : op == 'M' ? 2 : 4;
			if (pm_need(m, (size_t)nb, "BININT"))
				return -1;
			u = pm_rd_le(m->p, nb);
			m->p += nb;
			if (pm_push(m, p2o_obj_int(m->a, op == 'J' ? (int32_t)u : (int64_t)u)))
				return -1;
			break;
		}
		case 0x8a: case 0x8b: /* LONG1, LONG4 */
			if (pm_need(m, op == 0x8a ? 1 : 4, "LONG"))
				return -1;
			len = (size_t)pm_rd_le(m->p, op == 0x8a ? 1 : 4);
			m->p += op == 0x8a ? 1 : 4;
			if (pm_need(m, len, "LONG"))
				return -1;
			if (pm_push(m, pm_make_long(m, m->p, len)))
				return -1;
			m->p += len;
			break;
		case 'G': { /* BINFLOAT: big-endian double */
			if (pm_need(m, 8, "BINFLOAT"))
				return -1;
			uint64_t bits = 0;
			for (int i = 0; i < 8; i++)
				bits = (bits << 8) | m->p[i];
			m->p += 8;
			if (!(a = p2o_obj_new(m->a, PY_FLOAT)))
				return pm_oom(m);
			memcpy(&a->u.f, &bits, 8);
			if (pm_push(m, a)) return -1;
			break;
		}
		case 'I': if (pm_text_int(m, 0)) return -1; break;
		case 'L': if (pm_text_int(m, 1)) return -1; break;
		case 'F': if (pm_text_float(m)) return -1; break;
		case 'S': if (pm_text_string(m, PY_BYTES)) return -1; break;
		case 'V': if (pm_text_string(m, PY_STR)) return -1; break;
		case 'X': case 0x8c: case 0x8d: /* BINUNICODE, SHORT_, 8 */
		case 'T': case 'U': /* BINSTRING, SHORT_BINSTRING (py2 str) */
		case 'B': case 'C': case 0x8e: case 0x96: { /* bytes */
			int nb = (op == 0x8c || op == 'U' || op == 'C') ? 1 :
				 (op == 0x8d || op == 0x8e || op == 0x96) ? 8 : 4;
			if (pm_need(m, (size_t)nb, "string length"))
				return -1;
			u = pm_rd_le(m->p, nb);
			m->p += nb;
			if (pm_push_bytes(m, (op == 'B' || op == 'C' || op == 0x8e ||
					   op == 0x96) ? PY_BYTES : PY_STR, u))
				return -1;
			break;
		}
		case ')': if (pm_push(m, p2o_obj_new(m->a, PY_TUPLE))) return -1; break;
		case ']': if (pm_push(m, p2o_obj_new(m->a, PY_LIST))) return -1; break;
		case '}': if (pm_push(m, p2o_obj_new(m->a, PY_DICT))) return -1; break;
		case 0x8f: if (pm_push(m, p2o_obj_new(m->a, PY_SET))) return -1; break;
		case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
			size_t k = op - 0x84;
			struct p2o_obj *t[3];
			for (size_t i = k; i-- > 0;)
				if (!(t[i] = pm_pop(m)))
					return -1;
			if (pm_push(m, pm_make_seq(m, PY_TUPLE, t, k)))
				return -1;
			break;
		}
		case 't': case 'l': case 0x91: /* TUPLE, LIST, FROZENSET */
			if (pm_pop_mark(m, &items, &n))
				return -1;
			a = pm_make_seq(m, op == 't' ? PY_TUPLE : op == 'l' ? PY_LIST : PY_SET,
				     items, n);
			if (a && op == 0x91)
				a->flags |= P2O_OBJ_FROZEN;
			if (pm_push(m, a)) return -1;
			break;
		case 'd': /* DICT */
			if (pm_pop_mark(m, &items, &n))
				return -1;
			if (!(a = p2o_obj_new(m->a, PY_DICT)))
				return pm_oom(m);
			if (add_items(m, a, items, n, 1) || pm_push(m, a))
				return -1;
			break;
		case 'a': /* APPEND */
			if (!(b = pm_pop(m)) || !(a = pm_top(m)) || add_items(m, a, &b, 1, 0))
				return -1;
			break;
		case 'e': case 0x90: /* APPENDS, ADDITEMS */
			if (pm_pop_mark(m, &items, &n) || !(a = pm_top(m)) ||
			    add_items(m, a, items, n, 0))
				return -1;
			break;
		case 's': { /* SETITEM */
			struct p2o_obj *kv[2];
			if (!(kv[1] = pm_pop(m)) || !(kv[0] = pm_pop(m)) || !(a = pm_top(m)) ||
			    add_items(m, a, kv, 2, 1))
				return -1;
			break;
		}
		case 'u': /* SETITEMS */
			if (pm_pop_mark(m, &items, &n) || !(a = pm_top(m)) ||
			    add_items(m, a, items, n, 1))
				return -1;
			break;
		case 'c': /* GLOBAL module\nname\n */
			if (pm_read_line(m, &s1, &l1) || pm_read_line(m, &s2, &l2) ||
			    pm_do_global(m, s1, l1, s2, l2))
				return -1;
			break;
		case 0x93: /* STACK_GLOBAL */
			if (!(b = pm_pop(m)) || !(a = pm_pop(m)))
				return -1;
			if (a->kind != PY_STR || b->kind != PY_STR)
				return pm_fail(m, "STACK_GLOBAL needs two strings");
			if (pm_do_global(m, a->u.str.s, a->u.str.len, b->u.str.s,
				      b->u.str.len))
				return -1;
			break;
		case 'R': /* REDUCE */
			if (!(b = pm_pop(m)) || !(a = pm_pop(m)) || call_top(m, a, b))
				return -1;
			break;
		case 0x81: /* NEWOBJ cls args */
			if (!(b = pm_pop(m)) || !(a = pm_pop(m)) || call_top(m, a, b))
				return -1;
			break;
		case 0x92: /* NEWOBJ_EX cls args kwargs */
			if (!(c = pm_pop(m)) || !(b = pm_pop(m)) || !(a = pm_pop(m)) ||
			    call_top(m, a, b))
				return -1;
			break;
		case 'o': /* OBJ: MARK cls args... */
			if (pm_pop_mark(m, &items, &n))
				return -1;
			if (!n)
				return pm_fail(m, "OBJ without a class");
			if (call_top(m, items[0], pm_make_seq(m, PY_TUPLE, items + 1, n - 1)))
				return -1;
			break;
		case 'i': /* INST module\nname\n: MARK args... */
			if (pm_read_line(m, &s1, &l1) || pm_read_line(m, &s2, &l2) ||
			    pm_do_global(m, s1, l1, s2, l2) || !(a = pm_pop(m)) ||
			    pm_pop_mark(m, &items, &n) ||
			    call_top(m, a, pm_make_seq(m, PY_TUPLE, items, n)))
				return -1;
			break;
		case 'b': /* BUILD */
			if (!(b = pm_pop(m)) || !(a = pm_top(m)))
				return -1;
			if (p2o_build(m->env, a, b, m->err)) {
				p2o_err_context(m->err, "%s @ byte %zu", m->env->where,
						m->op_at);
				return -1;
			}
			break;
		case 'Q': case 'P': /* BINPERSID, PERSID */
			if (op == 'Q') {
				if (!(a = pm_pop(m)))
					return -1;
			} else {
				if (pm_read_line(m, &s1, &l1))
					return -1;
				a = p2o_obj_str(m->a, s1, l1);
			}
			if (!m->env->persistent_load)
				return pm_fail(m, "persistent id in a pickle that cannot have one");
			b = NULL;
			if (m->env->persistent_load(m->env->ctx, a, &b, m->err)) {
				p2o_err_context(m->err, "%s @ byte %zu", m->env->where,
						m->op_at);
				return -1;
			}
			if (pm_push(m, b)) return -1;
			break;
		case 'q': case 'r': /* BINPUT, LONG_BINPUT */
			if (pm_need(m, op == 'q' ? 1 : 4, "BINPUT"))
				return -1;
			u = pm_rd_le(m->p, op == 'q' ? 1 : 4);
			m->p += op == 'q' ? 1 : 4;
			if (!(a = pm_top(m)) || pm_memo_put(m, u, a))
				return -1;
			break;
		case 0x94: /* MEMOIZE */
			if (!(a = pm_top(m)) || pm_memo_put(m, m->memo_n, a))
				return -1;
			break;
		case 'p': case 'g': { /* PUT, GET with a decimal line */
			char buf[24], *endp;
			if (pm_read_line(m, &s1, &l1))
				return -1;
			if (l1 == 0 || l1 >= sizeof buf)
				return pm_fail(m, "bad memo index");
			memcpy(buf, s1, l1);
			buf[l1] = 0;
			u = strtoull(buf, &endp, 10);
			if (*endp)
				return pm_fail(m, "bad memo index '%s'", buf);
			if (op == 'p' ? (!(a = pm_top(m)) || pm_memo_put(m, u, a)) : pm_memo_get(m, u))
				return -1;
			break;
		}
		case 'h': case 'j': /* BINGET, LONG_BINGET */
			if (pm_need(m, op == 'h' ? 1 : 4, "BINGET"))
				return -1;
			u = pm_rd_le(m->p, op == 'h' ? 1 : 4);
			m->p += op == 'h' ? 1 : 4;
			if (pm_memo_get(m, u))
				return -1;
			break;
		case 0x98: /* READONLY_BUFFER: no-op here */
			if (!pm_top(m))
				return -1;
			break;
		case 0x82: case 0x83: case 0x84:
			return pm_fail(m, "extension-registry opcode 0x%02x is not supported", op);
		case 0x97:
			return pm_fail(m, "out-of-band buffer (NEXT_BUFFER) is not supported");
		default:
			return pm_fail(m, "unknown pickle opcode 0x%02x", op);
		}
	}
}

int p2o_unpickle(const unsigned char *data, size_t len,
		 const struct p2o_pickle_env *env, struct p2o_obj **out,
		 size_t *consumed, struct p2o_err *err)
{
	struct machine m = {0};
	int rc;

	m.env = env;
	m.a = env->arena;
	m.base = m.p = data;
	m.end = data + len;
	m.err = err;
	rc = run(&m, out);
	if (rc == 0 && consumed)
		*consumed = (size_t)(m.p - m.base);
	free(m.stack);
	free(m.marks);
	free(m.memo);
	return rc;
}
