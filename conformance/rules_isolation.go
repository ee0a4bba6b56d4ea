package conformance

import "strconv"

// isolationRules: groups, method groups and keys that are prefixes of each
// other never see each other's data. (Versions: see the version rules.)
func (s *suite) isolationRules(r reporter) {
	s.perGroup(r, "groups", nil, s.isolationGroups)
	s.perGroup(r, "method-groups", nil, s.isolationMethodGroups)
	s.perGroup(r, "prefix-keys", nil, s.isolationPrefixKeys)
}

// isolationGroups: two groups (two keys for global method groups) hold
// their own values, and each kind of delete of one leaves the other
// exactly as it was, down to the backend's records.
func (s *suite) isolationGroups(r reporter, c *mgCase) {
	for _, d := range c.dels {
		r.Run(d.name, func(r reporter) {
			e := s.newEnv(r)
			n := 1
			if c.multi() {
				n = 2
			}
			write := func(g []byte, label string) []entry {
				var out []entry
				for i := 0; i < n; i++ {
					k := c.slot(g, i)
					v := val(label, strconv.Itoa(i))
					e.must(c.put(e.ctx, e.p, k, v), "write "+label)
					out = append(out, entry{c: c, k: k, want: [][]byte{v}})
				}
				return out
			}
			b := write(GroupID(2), "b")
			onlyB := e.snap()
			a := write(GroupID(1), "a")
			check(r, e.ctx, e.p, append(a, b...), "two groups")
			for _, en := range a {
				e.must(d.call(e.ctx, e.p, en.k), d.name)
				if d.whole {
					break
				}
			}
			checkGone(r, e.ctx, e.p, a, "the group deleted")
			check(r, e.ctx, e.p, b, "the other group")
			e.same(onlyB, "after deleting one group")
		})
	}
}

// isolationMethodGroups: a write in one method group shows up in no other
// method group under the same key bytes; deleting it leaves the others.
func (s *suite) isolationMethodGroups(r reporter, c *mgCase) {
	e := s.newEnv(r)
	g := []byte("group-method-groups")
	k := c.slot(g, 0)
	v := val(c.name)
	e.must(c.put(e.ctx, e.p, k, v), "write")
	for _, o := range s.cases {
		if o != c {
			expect(r, e.ctx, e.p, o, o.slot(g, 0), nil, "after writing "+c.name+" only")
		}
	}
	for _, o := range s.cases {
		if o != c {
			e.must(o.put(e.ctx, e.p, o.slot(g, 0), val(o.name)), "write "+o.name)
		}
	}
	for _, o := range s.cases {
		expect(r, e.ctx, e.p, o, o.slot(g, 0), [][]byte{val(o.name)}, "every method group written")
	}
	e.must(c.dels[0].call(e.ctx, e.p, k), c.dels[0].name)
	for _, o := range s.cases {
		want := [][]byte{val(o.name)}
		if o == c {
			want = nil
		}
		expect(r, e.ctx, e.p, o, o.slot(g, 0), want, "after deleting "+c.name)
	}
}

// prefixSlots returns slots of c whose key bytes are prefixes of each
// other, or whose naive concatenations collide.
func prefixSlots(c *mgCase) []slot {
	groups := [][]byte{[]byte("a"), []byte("ab"), []byte("abc"), []byte("a\x00"), []byte("a\xff"), {0}, {0, 0}, {0xFF}, {0xFF, 0xFF}}
	var out []slot
	switch c.kind {
	case kindGlobal:
		for _, k := range [][]byte{[]byte("k"), []byte("kk"), []byte("k\x00"), []byte("k\xff"), []byte("k\xff\xff"), {0}, {0, 0}, {0xFF}, {0xFF, 0xFF}} {
			out = append(out, slot{key: k})
		}
	case kindQueue:
		g := []byte("g")
		for _, ref := range [][]byte{[]byte("r"), []byte("r1"), []byte("r\x00"), []byte("r\xff"), []byte("r\xff\xff"), {0}} {
			out = append(out, slot{group: g, key: ref})
		}
		out = append(out, slot{group: []byte("ab"), key: []byte("cx")}, slot{group: []byte("abc"), key: []byte("x")},
			slot{group: []byte("a"), key: []byte("bcx")}, slot{group: []byte("a\x00"), key: []byte("x")}, slot{group: []byte("a"), key: []byte("\x00x")})
	case kindEpoch:
		g := []byte("g")
		for _, x := range []struct {
			epoch string
			leaf  uint32
		}{{"1", 11}, {"11", 1}, {"1", 1}, {"11", 11}, {"1\x00", 1}, {"1", 0x31}, {"1", 0}, {"\x00", 0}} {
			out = append(out, slot{group: g, epoch: []byte(x.epoch), leaf: x.leaf})
		}
		out = append(out, slot{group: []byte("ab"), epoch: []byte("c1"), leaf: 1}, slot{group: []byte("abc"), epoch: []byte("1"), leaf: 1})
	default:
		for _, g := range groups {
			out = append(out, slot{group: g})
		}
	}
	return out
}

// isolationPrefixKeys: slots whose keys are prefixes of each other hold
// their own values; deleting one (one by one, and group by group) leaves
// the rest; at the end nothing is left.
func (s *suite) isolationPrefixKeys(r reporter, c *mgCase) {
	e := s.newEnv(r)
	empty := e.snap()
	slots := prefixSlots(c)
	want := func(i int) [][]byte {
		if c.appends() {
			return [][]byte{val("p", strconv.Itoa(i)), val("p", strconv.Itoa(i), "2")}
		}
		return [][]byte{val("p", strconv.Itoa(i))}
	}
	writeAll := func() {
		r.Helper()
		for i, k := range slots {
			for _, v := range want(i) {
				e.must(c.put(e.ctx, e.p, k, v), "write")
			}
		}
		for i, k := range slots {
			expect(r, e.ctx, e.p, c, k, want(i), "slot "+strconv.Itoa(i)+" of slots with prefix keys")
		}
	}
	writeAll()
	d := c.dels[0]
	for i, k := range slots {
		e.must(d.call(e.ctx, e.p, k), d.name)
		expect(r, e.ctx, e.p, c, k, nil, "slot "+strconv.Itoa(i)+", deleted")
		for j := i + 1; j < len(slots); j++ {
			expect(r, e.ctx, e.p, c, slots[j], want(j), "slot "+strconv.Itoa(j)+" after deleting slot "+strconv.Itoa(i))
		}
	}
	e.same(empty, "after deleting every slot")
	if !c.groupScoped() {
		return
	}
	for _, d := range c.dels {
		if !d.whole {
			continue
		}
		writeAll()
		deleted := map[string]bool{}
		for _, k := range slots {
			if deleted[string(k.group)] {
				continue
			}
			deleted[string(k.group)] = true
			e.must(d.call(e.ctx, e.p, k), d.name)
			for j := range slots {
				w := want(j)
				if deleted[string(slots[j].group)] {
					w = nil
				}
				expect(r, e.ctx, e.p, c, slots[j], w, d.name+" of group "+strconv.Quote(string(k.group))+": slot "+strconv.Itoa(j))
			}
		}
		e.same(empty, "after "+d.name+" of every group")
	}
}
