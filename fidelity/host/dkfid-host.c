// SPDX-License-Identifier: GPL-2.0
/*
 * dkfid-host - user-visible memory-management semantics of the machine it
 * runs on (no kernel module): mmap/mremap/mprotect/mlock/munmap/fork/COW,
 * signals and errno values, /proc/self/smaps lines. One OBS line per
 * observation, same format as dkfid-test. See fidelity/SCENARIOS.md.
 * Build: gcc -O2 -Wall -o dkfid-host dkfid-host.c
 */
#include "../common/obs.h"
#include <malloc.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define MEMLOCK_PAGES 16

static long P;			/* page size */

/* smaps/pagemap snapshot of [addr, addr + npages) */
static void snap(const char *step, void *addr, int npages)
{
	struct smaps_ent e;
	int nent = 0, i, present[64] = { 0 };

	obs_int(step, "vmlck_kb", status_kb("VmLck"));
	if (!addr) {
		obs_bool(step, "mapped", 0);
		return;
	}
	if (npages > 64)
		npages = 64;
	smaps_lookup((unsigned long)addr, (unsigned long)addr, (unsigned long)addr + npages * P, &e, &nent);
	obs_bool(step, "mapped", e.found);
	obs_int(step, "maps_entries", nent);
	obs_int(step, "range_rss_kb", e.range_rss_kb);
	if (e.found) {
		obs_str(step, "perms", e.perms);
		obs_str(step, "vmflags", e.vmflags);
		obs_int(step, "size_kb", e.size_kb);
		obs_int(step, "rss_kb", e.rss_kb);
		obs_int(step, "locked_kb", e.locked_kb);
		obs_int(step, "anon_kb", e.anon_kb);
	}
	for (i = 0; i < npages; i++)
		present[i] = !!(pagemap_entry((unsigned long)addr + i * P) & PM_PRESENT);
	obs_bools(step, "pm_present", present, npages);
}

/*
 * Test mappings live in slots of a PROT_NONE|MAP_NORESERVE arena, 64 pages
 * apart, so that they never merge with unrelated anonymous vmas (the arena
 * lacks VM_ACCOUNT, so it never merges with them either) and the smaps
 * entry of a test mapping describes that mapping only.
 */
#define SLOT_PAGES 64
#define SLOTS 64
static unsigned char *g_arena;
static int g_slot;

static unsigned char *next_slot(void)
{
	if (!g_arena) {
		g_arena = mmap(NULL, (size_t)SLOTS * SLOT_PAGES * P, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (g_arena == MAP_FAILED)
			abort();
	}
	if (g_slot >= SLOTS)
		abort();
	return g_arena + ((size_t)g_slot++ * SLOT_PAGES + 1) * P;
}

/* an address range that is certainly unmapped */
static unsigned char *hole_addr(void)
{
	unsigned char *h = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(h, P);
	return h;
}

/* mmap at the next arena slot (hint NULL) or at hint */
static void *xmap(const char *step, void *hint, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (!hint) {
		hint = next_slot();
		flags |= MAP_FIXED;
	}
	p = mmap(hint, len, prot, flags, fd, off);

	obs_errno(step, p == MAP_FAILED ? errno : 0);
	return p == MAP_FAILED ? NULL : p;
}

static void res(const char *step, int r) { obs_errno(step, r ? errno : 0); }

static void touch_read(const char *step, unsigned char *a, const int *idx, int n)
{
	long long d[64];
	char sig[64], first[64] = "";
	int i;

	for (i = 0; i < n; i++) {
		d[i] = probe_read(a + idx[i] * P, sig, sizeof(sig));
		if (d[i] < 0 && !first[0])
			snprintf(first, sizeof(first), "%s", sig);
	}
	obs_ints(step, "data", d, n);
	if (first[0])
		obs_str(step, "signal", first);
	else
		obs_null(step, "signal");
}

static void touch_write(const char *step, unsigned char *a, const int *idx, int n, int val)
{
	char sig[64], first[64] = "";
	int i;

	for (i = 0; i < n; i++)
		if (probe_write(a + idx[i] * P, (unsigned char)(val + i), sig, sizeof(sig)) < 0 && !first[0])
			snprintf(first, sizeof(first), "%s", sig);
	if (first[0])
		obs_str(step, "signal", first);
	else
		obs_null(step, "signal");
}

static const int I4[4] = { 0, 1, 2, 3 };
static const int I8[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };

static void begin(const char *scn, const char *text)
{
	g_scn = scn;
	desc(scn, text);
}

/* ------------------------------------------------------------------ */

static void sc_anon(void)
{
	unsigned char *a;

	begin("anon_mmap", "4-page MAP_PRIVATE|MAP_ANONYMOUS RW mapping: mmap, read (zero page), write, MAP_SHARED anon, MAP_POPULATE");
	a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap("mmap", a, 4);
	touch_read("read", a, I4, 4);
	snap("read", a, 4);
	/* do_anonymous_page maps the one shared zero page on a read fault: pages 0 and 3 have the same pfn */
	obs_bool("read", "same_pfn", (pagemap_entry((unsigned long)a) & PM_PFN_MASK) != 0 &&
		 (pagemap_entry((unsigned long)a) & PM_PFN_MASK) == (pagemap_entry((unsigned long)a + 3 * P) & PM_PFN_MASK));
	touch_write("write", a, I4, 4, 0x10);
	snap("write", a, 4);
	res("munmap", munmap(a, 4 * P));
	snap("munmap", NULL, 0);

	a = xmap("shared_mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snap("shared_mmap", a, 4);
	touch_write("shared_write", a, I4, 4, 0x10);
	snap("shared_write", a, 4);
	munmap(a, 4 * P);

	a = xmap("populate_mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	snap("populate_mmap", a, 4);
	munmap(a, 4 * P);

	a = xmap("ro_mmap", NULL, 4 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap("ro_mmap", a, 4);
	munmap(a, 4 * P);

	a = xmap("none_mmap", NULL, 4 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap("none_mmap", a, 4);
	munmap(a, 4 * P);
}

static void sc_mremap(void)
{
	unsigned char *a, *b, *blk;

	begin("mremap", "anonymous private RW: grow in place (free space after), grow blocked without MREMAP_MAYMOVE "
	      "(ENOMEM), grow with MREMAP_MAYMOVE (moves, data kept), shrink, bad arguments");
	/* reserve 8 pages, free the upper 4 so that growth in place is possible */
	a = xmap("mmap", NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a + 4 * P, 4 * P);
	touch_write("mmap", a, I4, 4, 0x40);
	snap("mmap", a, 4);
	b = mremap(a, 4 * P, 8 * P, 0);
	obs_errno("grow_inplace", b == MAP_FAILED ? errno : 0);
	if (b != MAP_FAILED) {
		obs_bool("grow_inplace", "moved", b != a);
		a = b;
	}
	snap("grow_inplace", a, 8);
	touch_read("touch_grown", a, I8, 8);
	snap("touch_grown", a, 8);
	/* block the space after the mapping */
	blk = mmap(a + 8 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	obs_errno("block", blk == MAP_FAILED ? errno : 0);
	b = mremap(a, 8 * P, 12 * P, 0);
	obs_errno("grow_blocked", b == MAP_FAILED ? errno : 0);
	snap("grow_blocked", a, 8);
	b = mremap(a, 8 * P, 12 * P, MREMAP_MAYMOVE);
	obs_errno("grow_move", b == MAP_FAILED ? errno : 0);
	if (b != MAP_FAILED) {
		obs_bool("grow_move", "moved", b != a);
		snap("grow_move", b, 12);
		obs_bool("grow_move", "old_mapped", 0);
		{
			struct smaps_ent e;
			int n;

			smaps_lookup((unsigned long)a, (unsigned long)a, (unsigned long)a + 8 * P, &e, &n);
			obs_int("grow_move", "old_maps_entries", n);
		}
		a = b;
		touch_read("touch_moved", a, I4, 4);
		snap("touch_moved", a, 12);
	}
	b = mremap(a, 12 * P, 2 * P, 0);
	obs_errno("shrink", b == MAP_FAILED ? errno : 0);
	if (b != MAP_FAILED)
		obs_bool("shrink", "moved", b != a);
	snap("shrink", a, 12);
	b = mremap(a + 1, P, 2 * P, MREMAP_MAYMOVE);
	obs_errno("unaligned", b == MAP_FAILED ? errno : 0);
	b = mremap(a, 0, P, MREMAP_MAYMOVE);
	obs_errno("dup_private", b == MAP_FAILED ? errno : 0);
	b = mremap(a, 2 * P, 4 * P, MREMAP_FIXED);
	obs_errno("fixed_without_maymove", b == MAP_FAILED ? errno : 0);
	b = mremap(a, 2 * P, 0, MREMAP_MAYMOVE);
	obs_errno("zero_new_len", b == MAP_FAILED ? errno : 0);
	b = mremap(hole_addr(), P, 2 * P, MREMAP_MAYMOVE);
	obs_errno("unmapped", b == MAP_FAILED ? errno : 0);
	munmap(a, 2 * P);
	if (blk != MAP_FAILED)
		munmap(blk, P);

	/* shared anonymous: old_len 0 duplicates the mapping */
	a = xmap("shared_mmap", NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	touch_write("shared_mmap", a, I4, 1, 0x61);
	b = mremap(a, 0, 2 * P, MREMAP_MAYMOVE);
	obs_errno("dup_shared", b == MAP_FAILED ? errno : 0);
	if (b != MAP_FAILED) {
		obs_bool("dup_shared", "moved", b != a);
		touch_read("dup_shared", b, I4, 1);
		munmap(b, 2 * P);
	}
	munmap(a, 2 * P);
}

static void sc_mprotect(void)
{
	unsigned char *a;
	int mid[1] = { 1 };

	begin("mprotect", "4-page anonymous private RW mapping (written): mprotect RO, write -> SIGSEGV; PROT_NONE, read -> SIGSEGV; "
	      "middle page only (split into 3 entries); bad arguments");
	a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	touch_write("mmap", a, I4, 4, 0x10);
	snap("mmap", a, 4);
	res("ro", mprotect(a, 4 * P, PROT_READ));
	snap("ro", a, 4);
	touch_write("write_ro", a, I4, 1, 0x20);
	touch_read("read_ro", a, I4, 1);
	res("none", mprotect(a, 4 * P, PROT_NONE));
	snap("none", a, 4);
	touch_read("read_none", a, I4, 1);
	res("rw", mprotect(a, 4 * P, PROT_READ | PROT_WRITE));
	snap("rw", a, 4);
	res("mid_ro", mprotect(a + P, P, PROT_READ));
	snap("mid_ro", a, 4);
	touch_write("write_mid", a, mid, 1, 0x20);
	res("mid_rw", mprotect(a + P, P, PROT_READ | PROT_WRITE));
	snap("mid_rw", a, 4);
	res("unaligned", mprotect(a + 1, P, PROT_READ));
	res("bad_prot", mprotect(a, P, 0x1000));
	res("unmapped", mprotect(hole_addr(), P, PROT_READ));
	res("exec", mprotect(a, P, PROT_READ | PROT_EXEC));
	snap("exec", a, 4);
	munmap(a, 4 * P);
}

static void sc_mlock(void)
{
	unsigned char *a, *b;
	struct rlimit rl;

	begin("mlock", "RLIMIT_MEMLOCK 16 pages, no CAP_IPC_LOCK: mlock within / over the limit, munlock, MAP_LOCKED, "
	      "mlock2(MLOCK_ONFAULT), mlockall");
	getrlimit(RLIMIT_MEMLOCK, &rl);
	obs_int("setup", "rlimit_memlock", (long long)rl.rlim_cur);
	obs_int("setup", "cap_ipc_lock", has_ipc_lock());
	a = xmap("mmap", NULL, 24 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap("mmap", a, 24);
	res("mlock8", mlock(a, 8 * P));
	snap("mlock8", a, 24);
	res("mlock12_more", mlock(a + 8 * P, 12 * P));
	snap("mlock12_more", a, 24);
	res("mlock8_again", mlock(a, 8 * P));
	snap("mlock8_again", a, 24);
	res("mlock16", mlock(a, 16 * P));
	snap("mlock16", a, 24);
	res("mlock17", mlock(a, 17 * P));
	snap("mlock17", a, 24);
	res("munlock_mid", munlock(a + 4 * P, 4 * P));
	snap("munlock_mid", a, 24);
	res("munlock", munlock(a, 24 * P));
	snap("munlock", a, 24);
	res("mlock_unaligned", mlock(a + 1, P));
	snap("mlock_unaligned", a, 24);
	munlock(a, 24 * P);
	res("mlock_unmapped", mlock(hole_addr(), P));
	b = mmap(NULL, 20 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	obs_errno("map_locked_over", b == MAP_FAILED ? errno : 0);
	if (b != MAP_FAILED)
		munmap(b, 20 * P);
	b = mmap(next_slot(), 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_FIXED, -1, 0);
	obs_errno("map_locked", b == MAP_FAILED ? errno : 0);
	snap("map_locked", b == MAP_FAILED ? NULL : b, 4);
	if (b != MAP_FAILED)
		munmap(b, 4 * P);
	res("mlock2_onfault", (int)syscall(SYS_mlock2, a, 4 * P, MLOCK_ONFAULT));
	snap("mlock2_onfault", a, 24);
	touch_write("onfault_touch", a, I4, 2, 0x10);
	snap("onfault_touch", a, 24);
	munlock(a, 24 * P);
	res("mlockall", mlockall(MCL_CURRENT));
	snap("mlockall", a, 24);
	munlockall();
	munmap(a, 24 * P);
}

struct cow_ctx {
	unsigned char *priv, *shared;
};

static void sc_fork_cow(void)
{
	struct cow_ctx c;
	int p2c[2], c2p[2], status = 0;
	char ch;
	pid_t pid;

	begin("fork_cow", "page 0 of a private anon mapping holds 'P', of a shared anon mapping 'S'; fork; the child reads, "
	      "writes 'C' to both; the parent reads; then the parent writes 'Q' and the child reads again");
	c.priv = xmap("mmap", NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.shared = xmap("mmap_shared", NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	c.priv[0] = 'P';
	c.shared[0] = 'S';
	if (pipe(p2c) || pipe(c2p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		/* wait until the parent recorded "fork": a fixed step order */
		if (read(p2c[0], &ch, 1) != 1)
			_exit(2);
		obs_int("child_read", "priv", c.priv[0]);
		obs_int("child_read", "shared", c.shared[0]);
		c.priv[0] = 'C';
		c.shared[0] = 'C';
		obs_int("child_write", "priv", c.priv[0]);
		obs_int("child_write", "shared", c.shared[0]);
		if (write(c2p[1], "w", 1) != 1)
			_exit(3);
		if (read(p2c[0], &ch, 1) != 1)
			_exit(4);
		obs_int("child_reread", "priv", c.priv[0]);
		obs_int("child_reread", "shared", c.shared[0]);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	obs_errno("fork", pid < 0 ? errno : 0);
	if (pid < 0 || write(p2c[1], "f", 1) != 1 || read(c2p[0], &ch, 1) != 1)
		return;
	obs_int("parent_read", "priv", c.priv[0]);
	obs_int("parent_read", "shared", c.shared[0]);
	c.priv[0] = 'Q';
	c.shared[0] = 'Q';
	obs_int("parent_write", "priv", c.priv[0]);
	obs_int("parent_write", "shared", c.shared[0]);
	if (write(p2c[1], "g", 1) != 1)
		return;
	waitpid(pid, &status, 0);
	obs_int("child_exit", "child_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	obs_int("child_exit", "priv", c.priv[0]);
	obs_int("child_exit", "shared", c.shared[0]);
	munmap(c.priv, P);
	munmap(c.shared, P);
}

static void sc_munmap(void)
{
	unsigned char *a;
	int all[4] = { 0, 1, 2, 3 };

	begin("munmap_split", "4-page anonymous RW mapping: munmap the second page (two entries remain, hole faults "
	      "SEGV_MAPERR), bad arguments, unmap all");
	a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	touch_write("mmap", a, I4, 4, 0x10);
	snap("mmap", a, 4);
	res("hole", munmap(a + P, P));
	snap("hole", a, 4);
	touch_read("touch", a, all, 4);
	res("unaligned", munmap(a + 1, P));
	res("zero_len", munmap(a, 0));
	res("unmapped_range", munmap(a + P, P));
	res("unmapped_far", munmap(hole_addr(), P));
	res("all", munmap(a, 4 * P));
	snap("all", a, 4);
}

static void sc_signals(void)
{
	unsigned char *a;
	char sig[64];
	int r;

	begin("signals", "SIGSEGV si_code for an unmapped address (MAPERR), a write to a read-only page and a read of a "
	      "PROT_NONE page (ACCERR); SIGBUS from a memfd mapping past EOF (ADRERR)");
	a = xmap("setup", NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(a + P, P, PROT_READ);
	mprotect(a + 2 * P, P, PROT_NONE);
	munmap(a, P);
	r = probe_read(a, sig, sizeof(sig));
	obs_str("unmapped_read", "signal", r < 0 ? sig : NULL);
	r = probe_write(a + P, 1, sig, sizeof(sig));
	obs_str("ro_write", "signal", r < 0 ? sig : NULL);
	r = probe_read(a + P, sig, sizeof(sig));
	obs_str("ro_read", "signal", r < 0 ? sig : NULL);
	r = probe_read(a + 2 * P, sig, sizeof(sig));
	obs_str("none_read", "signal", r < 0 ? sig : NULL);
	r = probe_read((unsigned char *)8, sig, sizeof(sig));
	obs_str("null_read", "signal", r < 0 ? sig : NULL);
	munmap(a + P, 2 * P);

	/* SIGBUS: memfd of 1 page mapped 4 pages */
	{
		int fd = (int)syscall(SYS_memfd_create, "dkfid", 0);
		unsigned char *m;
		int idx2[1] = { 2 }, idx0[1] = { 0 };

		obs_errno("memfd", fd < 0 ? errno : 0);
		if (fd < 0)
			return;
		res("ftruncate_1p", ftruncate(fd, P));
		m = xmap("memfd_mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (!m)
			return;
		snap("memfd_mmap", m, 4);
		touch_read("read_page0", m, idx0, 1);
		touch_read("read_page2", m, idx2, 1);
		res("ftruncate_4p", ftruncate(fd, 4 * P));
		touch_read("read_page2_grown", m, idx2, 1);
		res("ftruncate_0", ftruncate(fd, 0));
		touch_read("read_page0_truncated", m, idx0, 1);
		touch_write("write_page0_truncated", m, idx0, 1, 0x10);
		snap("truncated", m, 4);
		munmap(m, 4 * P);
		close(fd);
	}
}

static void sc_mmap_errors(void)
{
	unsigned char *a;
	void *p;
	int fd;

	begin("mmap_errors", "errno of invalid mmap calls");
	p = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	obs_errno("zero_len", p == MAP_FAILED ? errno : 0);
	p = mmap((void *)0x10001000UL + 1, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	obs_errno("fixed_unaligned", p == MAP_FAILED ? errno : 0);
	p = mmap((void *)0x10001001UL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	obs_errno("hint_unaligned", p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED) {
		obs_bool("hint_unaligned", "at_hint", p == (void *)0x10001001UL);
		munmap(p, P);
	}
	p = mmap(NULL, P, PROT_READ, MAP_ANONYMOUS, -1, 0);
	obs_errno("no_type", p == MAP_FAILED ? errno : 0);
	p = mmap(NULL, P, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x40000000, -1, 0);
	obs_errno("validate_unknown", p == MAP_FAILED ? errno : 0);
	p = mmap(NULL, P, PROT_READ, MAP_PRIVATE, 12345, 0);
	obs_errno("bad_fd", p == MAP_FAILED ? errno : 0);
	p = mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	obs_errno("huge_len", p == MAP_FAILED ? errno : 0);
	a = xmap("base", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mmap(a + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	obs_errno("noreplace_overlap", p == MAP_FAILED ? errno : 0);
	snap("noreplace_overlap", a, 4);
	p = mmap(a + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	obs_errno("fixed_overlap", p == MAP_FAILED ? errno : 0);
	snap("fixed_overlap", a, 4);
	munmap(a, 4 * P);
	fd = (int)syscall(SYS_memfd_create, "dkfid-ro", 0);
	if (fd >= 0) {
		char path[64];
		int rfd;

		ftruncate(fd, 4 * P);
		p = mmap(NULL, P, PROT_READ, MAP_PRIVATE, fd, 1);
		obs_errno("offset_unaligned", p == MAP_FAILED ? errno : 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDONLY);
		if (rfd >= 0) {
			p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
			obs_errno("shared_write_rdonly_fd", p == MAP_FAILED ? errno : 0);
			p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, rfd, 0);
			obs_errno("private_write_rdonly_fd", p == MAP_FAILED ? errno : 0);
			if (p != MAP_FAILED)
				munmap(p, P);
			p = mmap(NULL, P, PROT_READ, MAP_SHARED, rfd, 0);
			obs_errno("shared_read_rdonly_fd", p == MAP_FAILED ? errno : 0);
			if (p != MAP_FAILED) {
				snap("shared_read_rdonly_fd", p, 1);
				res("mprotect_write_rdonly", mprotect(p, P, PROT_READ | PROT_WRITE));
				munmap(p, P);
			}
			close(rfd);
		}
		close(fd);
	}
}

/* ------------------------------------------------------------------ */
/* Fidelity II (issue 20): what the host can observe without a module   */


/* 4 written private anonymous pages in a slot (step "mmap", then "write") */
static unsigned char *anon4(int shared)
{
	unsigned char *a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);

	snap("mmap", a, 4);
	if (a) {
		touch_write("write", a, I4, 4, 0x10);
		snap("write", a, 4);
	}
	return a;
}

static void madv(const char *step, unsigned char *a, size_t len, int advice, int npages)
{
	res(step, madvise(a, len, advice));
	snap(step, a, npages);
}

/* /proc/self/mem: one byte read or written at addr (FOLL_FORCE); snapshot of the 4 pages at base */
static void procmem(const char *step, unsigned char *addr, int write, unsigned char val, unsigned char *base)
{
	unsigned char b = val;
	long r = procmem_rw(addr, write, &b);	/* before b is read: argument order is unspecified */

	obs_procmem(step, r, write, b);
	snap(step, base, 4);
}

/* read back the 4 pages at a ("touch"), then unmap them */
static void touch_back(unsigned char *a)
{
	touch_read("touch", a, I4, 4);
	snap("touch", a, 4);
	munmap(a, 4 * P);
}

/* a second 4-page anonymous mapping (flags) in a slot, one advice on it, unmap */
static void madv_other(const char *map_step, int flags, const char *step, int advice)
{
	unsigned char *a = xmap(map_step, NULL, 4 * P, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (a) {
		madv(step, a, 4 * P, advice, 4);
		munmap(a, 4 * P);
	}
}

static void sc_mlockall_future(void)
{
	unsigned char *a;

	begin("mlockall_future", "mlockall(MCL_FUTURE), then a 4-page private anonymous mmap (VM_LOCKED, populated), munlockall");
	res("mlockall_future", mlockall(MCL_FUTURE));
	a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap("mmap", a, 4);
	res("munlockall", munlockall());
	snap("munlockall", a, 4);
	if (a)
		munmap(a, 4 * P);
}

static void sc_mremap_dontunmap(void)
{
	unsigned char *a, *b;

	begin("mremap_dontunmap", "4 written private anonymous pages; mremap(16K, 16K, MAYMOVE|DONTUNMAP): pages move, the old range stays and reads zero");
	a = anon4(0);
	if (!a)
		return;
	/* raw syscall: glibc 2.36 passes new_address only with MREMAP_FIXED */
	b = (void *)syscall(SYS_mremap, a, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	obs_errno("dontunmap", b == MAP_FAILED ? errno : 0);
	snap("dontunmap", a, 4);
	if (b != MAP_FAILED) {
		snap("new", b, 4);
		touch_read("touch_new", b, I4, 4);
		munmap(b, 4 * P);
	}
	touch_read("touch_old", a, I4, 4);
	snap("touch_old", a, 4);
	munmap(a, 4 * P);
}

static void sc_madv_free(void)
{
	unsigned char *a;

	begin("madv_free", "4 written private anonymous pages: MADV_FREE, page 0 written again; MADV_FREE on shared anonymous memory (EINVAL)");
	a = anon4(0);
	if (!a)
		return;
	madv("free", a, 4 * P, MADV_FREE, 4);
	touch_write("rewrite", a, I4, 1, 0x20);
	snap("rewrite", a, 4);
	touch_read("touch", a, I4, 4);
	munmap(a, 4 * P);
	madv_other("shared_mmap", MAP_SHARED, "free_shared", MADV_FREE);
}

static void sc_madv_remove(void)
{
	unsigned char *a;

	begin("madv_remove", "MADV_REMOVE: on 4 written shmem pages (MAP_SHARED|MAP_ANONYMOUS: punched, reads zero) and on private anonymous memory (EINVAL)");
	a = anon4(1);
	if (!a)
		return;
	madv("remove", a, 4 * P, MADV_REMOVE, 4);
	touch_back(a);
	madv_other("private_mmap", MAP_PRIVATE, "remove_private", MADV_REMOVE);
}

static void sc_madv_cold_pageout(void)
{
	unsigned char *a;

	begin("madv_cold_pageout", "4 written private anonymous pages: MADV_COLD, MADV_PAGEOUT (no swap configured: the pages stay), read back");
	a = anon4(0);
	if (!a)
		return;
	madv("cold", a, 4 * P, MADV_COLD, 4);
	madv("pageout", a, 4 * P, MADV_PAGEOUT, 4);
	touch_back(a);
}

static void sc_madv_populate(void)
{
	unsigned char *a;

	begin("madv_populate", "4 untouched private anonymous pages: MADV_POPULATE_READ (zero page: present, Rss 0), MADV_POPULATE_WRITE (anonymous pages); on PROT_READ: POPULATE_WRITE fails");
	a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap("mmap", a, 4);
	if (!a)
		return;
	madv("populate_read", a, 4 * P, MADV_POPULATE_READ, 4);
	madv("populate_write", a, 4 * P, MADV_POPULATE_WRITE, 4);
	res("mprotect_ro", mprotect(a, 4 * P, PROT_READ));
	madv("populate_write_ro", a, 4 * P, MADV_POPULATE_WRITE, 4);
	munmap(a, 4 * P);
}

static void sc_madv_dontneed_locked(void)
{
	unsigned char *a;

	begin("madv_dontneed_locked", "4 written private anonymous pages, mlock: MADV_DONTNEED (EINVAL), MADV_DONTNEED_LOCKED (zapped, VM_LOCKED stays), read (zero-fill, mlocked again)");
	a = anon4(0);
	if (!a)
		return;
	res("mlock", mlock(a, 4 * P));
	snap("mlock", a, 4);
	madv("dontneed", a, 4 * P, MADV_DONTNEED, 4);
	madv("dontneed_locked", a, 4 * P, MADV_DONTNEED_LOCKED, 4);
	touch_back(a);
}

static void sc_madvise_span(void)
{
	unsigned char *a;

	begin("madvise_span", "[2 written anonymous pages | 2 mlocked anonymous pages]: MADV_DONTNEED over both zaps the first vma, then fails on the VM_LOCKED one (EINVAL)");
	a = anon4(0);
	if (!a)
		return;
	res("mlock_tail", mlock(a + 2 * P, 2 * P));
	snap("mlock_tail", a, 4);
	madv("dontneed", a, 4 * P, MADV_DONTNEED, 4);
	touch_back(a);
}

static void sc_procmem(void)
{
	unsigned char *a;
	int fd;

	begin("procmem", "/proc/self/mem (FOLL_FORCE): read of a PROT_NONE anonymous page, write into a PROT_READ private page, "
	      "write into a PROT_READ MAP_SHARED memfd mapping of an O_RDWR fd (EIO)");
	a = anon4(0);
	if (!a)
		return;
	res("mprotect_none", mprotect(a, 4 * P, PROT_NONE));
	snap("mprotect_none", a, 4);
	procmem("read_none", a, 0, 0, a);
	res("mprotect_ro", mprotect(a, 4 * P, PROT_READ));
	procmem("write_ro", a + 2 * P, 1, 0x66, a);
	touch_back(a);
	fd = (int)syscall(SYS_memfd_create, "dkfid", 0);
	if (fd < 0 || ftruncate(fd, 4 * P) != 0)
		return;
	a = xmap("memfd_mmap", NULL, 4 * P, PROT_READ, MAP_SHARED, fd, 0);
	if (a) {
		snap("memfd_mmap", a, 4);
		procmem("write_shared_ro", a + P, 1, 0x66, a);
		procmem("read_shared_ro", a + P, 0, 0, a);
		munmap(a, 4 * P);
	}
	close(fd);
}

static void sc_shared_twice(void)
{
	unsigned char *a, *b;
	int fd, i;

	begin("shared_twice", "a 4-page memfd mapped twice MAP_SHARED, both read (mapcount 2); mlock of the first: smaps Locked is proportional");
	fd = (int)syscall(SYS_memfd_create, "dkfid", 0);
	if (fd < 0 || ftruncate(fd, 4 * P) != 0)
		return;
	a = xmap("mmap", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = xmap("mmap2", NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!a || !b)
		return;
	touch_write("write", a, I4, 4, 0x10);
	for (i = 0; i < 4; i++)
		(void)probe_read(b + i * P, NULL, 0);
	snap("write", a, 4);
	res("mlock", mlock(a, 4 * P));
	snap("mlock", a, 4);
	res("munmap2", munmap(b, 4 * P));
	snap("munmap2", a, 4);
	munlock(a, 4 * P);
	munmap(a, 4 * P);
	close(fd);
}

static void sc_own_mappings(void)
{
	int local = 1;
	void *brk0 = sbrk(0);

	begin("own_mappings", "the process's own mappings: [stack], [heap] (malloc'd), program text: smaps perms and VmFlags; VmRSS; "
	      "mlockall(MCL_CURRENT) with RLIMIT_MEMLOCK 16 pages (ENOMEM)");
	obs_own_mapping("maps", "stack_", (unsigned long)&local);
	obs_own_mapping("maps", "heap_", (unsigned long)brk0 - 1);
	obs_own_mapping("maps", "text_", (unsigned long)&sc_own_mappings);
	obs_bool("maps", "vmrss_pos", status_kb("VmRSS") > 0);
	res("mlockall_current", mlockall(MCL_CURRENT));
	snap("mlockall_current", NULL, 0);
	munlockall();
}

int main(void)
{
	struct rlimit rl = { MEMLOCK_PAGES * 4096, MEMLOCK_PAGES * 4096 };

	P = g_page = sysconf(_SC_PAGESIZE);
	/* a heap that never grows or shrinks: see dkfid-test.c */
	mallopt(M_TOP_PAD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	free(malloc(1 << 20));
	probe_install();
	setrlimit(RLIMIT_MEMLOCK, &rl);
	drop_ipc_lock();
	meta_uname();
	meta_str("source", "host");
	sc_anon();
	sc_mremap();
	sc_mprotect();
	sc_mlock();
	sc_fork_cow();
	sc_munmap();
	sc_signals();
	sc_mmap_errors();
	sc_mlockall_future();
	sc_mremap_dontunmap();
	sc_madv_free();
	sc_madv_remove();
	sc_madv_cold_pageout();
	sc_madv_populate();
	sc_madv_dontneed_locked();
	sc_madvise_span();
	sc_procmem();
	sc_shared_twice();
	sc_own_mappings();
	out_write("END\n", 4);
	return 0;
}
