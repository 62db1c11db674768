// SPDX-License-Identifier: GPL-2.0
/*
 * dkfid-test - plays the DriverKit fidelity scenarios against /dev/dkfid
 * inside the test VM and prints one OBS line per observation.
 * Build: gcc -static -O2 -Wall -o dkfid-test dkfid-test.c
 * See fidelity/SCENARIOS.md for the exact steps and keys.
 */
#include "../common/obs.h"
#include "../module/dkfid_uapi.h"
#include <malloc.h>

#define DEV "/dev/dkfid"
#define MEMLOCK_PAGES 16

static int g_ctl = -1;		/* control fd: queries, GUP, RESFREE */

/* the mapping under test */
struct cur {
	int fd;
	unsigned char *addr;
	unsigned long len;	/* bytes */
	int npages;		/* pages in the mapping */
	int drv;		/* scenario uses the driver buffer */
};

static struct cur C;
static int g_obs_mkwrite;	/* snap_drv records the page_mkwrite counter */
static unsigned char *g_d;	/* a second mapping under observation (d_* keys, snap_d) */
static int g_dn;

/* ------------------------------------------------------------------ */
/* snapshots                                                           */

static int drv_query(struct dkfid_query *q)
{
	memset(q, 0, sizeof(*q));
	return ioctl(g_ctl, DKFID_QUERY, q);
}

static char *pflags_string(uint32_t f)
{
	static const char *const names[] = {
		"locked", "reserved", "lru", "dirty", "referenced", "uptodate", "anon", "swapbacked",
		"head", "tail", "buddy", "slab", "mlocked", "unevictable", "active", "private",
		"mapping", "writeback", "inbuddy",
	};
	struct sb b = { 0 };
	unsigned i;

	sb_puts(&b, "");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i)) {
			if (b.n)
				sb_puts(&b, "|");
			sb_puts(&b, names[i]);
		}
	return b.p;
}

static void obs_pstates(const char *step, const char *prefix, const struct dkfid_pstate *p, int n,
			int with_kpage)
{
	long long rc[DKFID_MAXPAGES] = { 0 }, mc[DKFID_MAXPAGES] = { 0 }, pfn[DKFID_MAXPAGES] = { 0 }, kc[DKFID_MAXPAGES] = { 0 };
	char *fl[DKFID_MAXPAGES] = { 0 }, *kf[DKFID_MAXPAGES] = { 0 };
	char key[64];
	int i;

	for (i = 0; i < n; i++) {
		rc[i] = p[i].refcount;
		mc[i] = p[i].mapcount;
		pfn[i] = (long long)p[i].pfn;
		fl[i] = pflags_string(p[i].flags);
		if (with_kpage) {
			kc[i] = kpage_read("/proc/kpagecount", p[i].pfn);
			kf[i] = kpf_string(kpage_read("/proc/kpageflags", p[i].pfn));
		}
	}
#define K(s) (snprintf(key, sizeof(key), "%s%s", prefix, s), key)
	obs_ints(step, K("refcount"), rc, n);
	obs_ints(step, K("mapcount"), mc, n);
	obs_strs(step, K("pflags"), fl, n);
	obs_ints(step, K("pfn"), pfn, n);
	if (with_kpage) {
		obs_ints(step, K("kpagecount"), kc, n);
		obs_strs(step, K("kpageflags"), kf, n);
	}
#undef K
	for (i = 0; i < n; i++) {
		free(fl[i]);
		if (with_kpage)
			free(kf[i]);
	}
}

static void snap_drv(const char *step)
{
	struct dkfid_query q;
	long long rr[DKFID_MAXPAGES];
	int i;

	if (drv_query(&q) != 0) {
		obs_str(step, "drv_query_errno", errname(errno));
		return;
	}
	obs_pstates(step, "", q.p, q.npages, 1);
	obs_int(step, "vm_open", q.vm_open);
	obs_int(step, "vm_close", q.vm_close);
	obs_int(step, "faults", q.faults);
	if (g_obs_mkwrite)
		obs_int(step, "mkwrite", q.mkwrite);
	obs_int(step, "last_fault_pgoff", q.last_fault_pgoff);
	obs_int(step, "mmap_calls", q.mmap_calls);
	obs_int(step, "maps", q.maps);
	obs_bool(step, "freed", q.freed);
	if (q.freed) {
		for (i = 0; i < (int)q.npages; i++)
			rr[i] = q.rel_refcount[i];
		obs_ints(step, "rel_refcount", rr, q.npages);
	}
}

/* smaps + pagemap of [addr, addr + npages pages) of the calling process */
static void snap_map(const char *step, unsigned char *addr, int npages, const struct dkfid_query *q)
{
	struct smaps_ent e;
	int nent = 0, i;
	long long pfn[64] = { 0 }, kc[64] = { 0 };
	int present[64] = { 0 }, isdrv[64] = { 0 }, file[64] = { 0 }, excl[64] = { 0 };
	char *kf[64] = { 0 };

	if (npages > 64)
		npages = 64;
	obs_int(step, "vmlck_kb", status_kb("VmLck"));
	if (!addr) {
		obs_bool(step, "mapped", 0);
		return;
	}
	smaps_lookup((unsigned long)addr, (unsigned long)addr, (unsigned long)addr + npages * g_page, &e, &nent);
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
		obs_int(step, "shared_kb", e.shared_clean_kb + e.shared_dirty_kb);
		obs_int(step, "private_kb", e.private_clean_kb + e.private_dirty_kb);
	}
	for (i = 0; i < npages; i++) {
		uint64_t v = pagemap_entry((unsigned long)addr + i * g_page);

		present[i] = !!(v & PM_PRESENT);
		file[i] = !!(v & PM_FILE);
		excl[i] = !!(v & PM_EXCL);
		pfn[i] = present[i] ? (long long)(v & PM_PFN_MASK) : 0;
		isdrv[i] = 0;
		if (q && present[i]) {
			int j;

			for (j = 0; j < (int)q->npages; j++)
				if (q->p[j].pfn == (uint64_t)pfn[i])
					isdrv[i] = 1;
		}
		if (present[i]) {
			kc[i] = kpage_read("/proc/kpagecount", pfn[i]);
			kf[i] = kpf_string(kpage_read("/proc/kpageflags", pfn[i]));
		} else {
			kc[i] = -1;
			kf[i] = strdup("");
		}
	}
	obs_bools(step, "pm_present", present, npages);
	obs_ints(step, "pm_pfn", pfn, npages);
	obs_bools(step, "pm_is_drv", isdrv, npages);
	obs_bools(step, "pm_file", file, npages);
	obs_bools(step, "pm_excl", excl, npages);
	obs_ints(step, "pm_kpagecount", kc, npages);
	obs_strs(step, "pm_kpageflags", kf, npages);
	for (i = 0; i < npages; i++)
		free(kf[i]);
}

/* the full snapshot taken at the end of every step */
static void snap(const char *step)
{
	struct dkfid_query q;
	int have = 0;

	if (C.drv) {
		snap_drv(step);
		have = drv_query(&q) == 0;
	}
	snap_map(step, C.addr, C.npages, have ? &q : NULL);
	obs_dmesg(step);
}

/* ------------------------------------------------------------------ */
/* step helpers                                                        */

static void step_touch(const char *step, unsigned char *addr, const int *idx, int n)
{
	long long data[64];
	char sig[64], first[64] = "";
	int i;

	for (i = 0; i < n; i++) {
		data[i] = probe_read(addr + idx[i] * g_page, sig, sizeof(sig));
		if (data[i] < 0 && !first[0])
			snprintf(first, sizeof(first), "%s", sig);
	}
	obs_ints(step, "data", data, n);
	if (first[0])
		obs_str(step, "signal", first);
	else
		obs_null(step, "signal");
}

static void step_touch_all(const char *step)
{
	int idx[64], i;

	for (i = 0; i < C.npages && i < 64; i++)
		idx[i] = i;
	step_touch(step, C.addr, idx, i);
}

/* write byte 1 of each page: value 0x10 + page index */
static void step_write_all(const char *step, unsigned char *addr, int npages, int base)
{
	char sig[64], first[64] = "";
	int i;

	for (i = 0; i < npages; i++)
		if (probe_write(addr + i * g_page + 1, (unsigned char)(base + i), sig, sizeof(sig)) < 0 && !first[0])
			snprintf(first, sizeof(first), "%s", sig);
	if (first[0])
		obs_str(step, "signal", first);
	else
		obs_null(step, "signal");
}

static void obs_readback(const char *step, int npages, int off)
{
	long long v[DKFID_MAXPAGES];
	int i;

	for (i = 0; i < npages && i < DKFID_MAXPAGES; i++) {
		struct dkfid_rdb r = { .index = i, .offset = off };

		if (ioctl(g_ctl, DKFID_READB, &r) != 0 || r.err)
			v[i] = -1;
		else
			v[i] = r.value;
	}
	obs_ints(step, off == 1 ? "drv_byte1" : "drv_byte2", v, i);
}

static void step_gup(const char *step, unsigned char *addr, int npages, int method)
{
	struct dkfid_gup g;
	struct dkfid_query q;
	int n, i, isdrv[DKFID_MAXPAGES];

	memset(&g, 0, sizeof(g));
	g.addr = (uintptr_t)addr;
	g.npages = npages;
	g.method = method;
	g.write = 1;
	if (ioctl(g_ctl, DKFID_GUP, &g) != 0) {
		obs_str(step, "ioctl_errno", errname(errno));
		return;
	}
	obs_int(step, "gup_ret", g.ret);
	obs_errno(step, g.ret < 0 ? -g.ret : 0);
	n = g.ret > 0 ? g.ret : 0;
	if (n > 0) {
		int have = C.drv && drv_query(&q) == 0;

		obs_pstates(step, "held_", g.held, n, 0);
		{
			long long rc[DKFID_MAXPAGES];

			for (i = 0; i < n; i++)
				rc[i] = g.after[i].refcount;
			obs_ints(step, "after_refcount", rc, n);
		}
		for (i = 0; i < n; i++) {
			int j;

			isdrv[i] = 0;
			if (have)
				for (j = 0; j < (int)q.npages; j++)
					if (q.p[j].pfn == g.held[i].pfn)
						isdrv[i] = 1;
		}
		obs_bools(step, "held_is_drv", isdrv, n);
	}
}

static int dev_open(void)
{
	int fd = open(DEV, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", DEV, strerror(errno));
		exit(2);
	}
	return fd;
}

static int dev_setup(const char *step, int fd, unsigned mode, unsigned vmflags, unsigned npages,
		     unsigned bufflags, unsigned guard)
{
	struct dkfid_setup su = { mode, vmflags, npages, bufflags, guard, 0 };
	int r = ioctl(fd, DKFID_SETUP, &su);

	obs_errno(step, r ? errno : 0);
	return r;
}

static int step_mmap(const char *step, int npages, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, npages * g_page, prot, flags, C.fd, off);

	if (p == MAP_FAILED) {
		obs_errno(step, errno);
		C.addr = NULL;
		C.len = 0;
		C.npages = 0;
		return -1;
	}
	obs_errno(step, 0);
	C.addr = p;
	C.len = npages * g_page;
	C.npages = npages;
	return 0;
}

static void step_syscall_errno(const char *step, int r)
{
	obs_errno(step, r ? errno : 0);
}

static void begin(const char *scn, const char *text)
{
	g_scn = scn;
	desc(scn, text);
	memset(&C, 0, sizeof(C));
	C.fd = -1;
	g_d = NULL;
	g_dn = 0;
}

/* fork; the child runs child_fn after the parent recorded step "fork" */
static void do_fork(void (*child_fn)(void *), void *arg)
{
	int pfd[2];
	pid_t pid;
	int status = 0;
	char c;

	if (pipe(pfd) != 0) {
		obs_errno("fork", errno);
		return;
	}
	pid = fork();
	if (pid < 0) {
		obs_errno("fork", errno);
		close(pfd[0]);
		close(pfd[1]);
		snap("fork");
		return;
	}
	if (pid == 0) {
		close(pfd[1]);
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		child_fn(arg);
		_exit(0);
	}
	close(pfd[0]);
	obs_errno("fork", 0);
	snap("fork");
	if (write(pfd[1], "g", 1) != 1)
		perror("write");
	close(pfd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		obs_int("child_exit", "child_status", WEXITSTATUS(status));
	else
		obs_str("child_exit", "child_status", signame(WTERMSIG(status), 0));
	snap("child_exit");
}

/* ------------------------------------------------------------------ */
/* the standard scenario: one mapping kind, every user operation        */

struct std_child_arg {
	int write;
};

static void std_child(void *a)
{
	struct std_child_arg *arg = a;

	snap("child_start");
	step_touch_all("child_touch");
	snap("child_touch");
	if (arg->write) {
		step_write_all("child_write", C.addr, C.npages, 0x30);
		snap("child_write");
	}
}

static void run_std(const char *scn, const char *text, unsigned mode, unsigned vmflags, unsigned guard)
{
	struct std_child_arg ca = { 0 };
	void *na;
	int npages = 4;

	begin(scn, text);
	C.drv = 1;
	C.fd = dev_open();
	if (dev_setup("setup", C.fd, mode, vmflags, npages, 0, guard)) {
		snap("setup");
		close(C.fd);
		return;
	}
	snap("setup");

	if (step_mmap("mmap", npages, PROT_READ | PROT_WRITE, MAP_SHARED, 0) < 0) {
		snap("mmap");
		close(C.fd);
		snap("close");
		return;
	}
	snap("mmap");

	step_touch_all("touch");
	snap("touch");

	step_write_all("write", C.addr, C.npages, 0x10);
	obs_readback("write", npages, 1);
	snap("write");

	do_fork(std_child, &ca);

	step_syscall_errno("mprotect_ro", mprotect(C.addr, C.len, PROT_READ));
	snap("mprotect_ro");

	{
		char sig[64];

		if (probe_write(C.addr + 1, 0x77, sig, sizeof(sig)) < 0)
			obs_str("write_ro", "signal", sig);
		else
			obs_null("write_ro", "signal");
		snap("write_ro");
	}

	step_syscall_errno("mprotect_rw", mprotect(C.addr, C.len, PROT_READ | PROT_WRITE));
	snap("mprotect_rw");

	step_syscall_errno("mlock", mlock(C.addr, C.len));
	snap("mlock");
	step_syscall_errno("munlock", munlock(C.addr, C.len));
	snap("munlock");

	step_gup("gup", C.addr, C.npages, DKFID_GUP_GUP);
	snap("gup");
	step_gup("pin", C.addr, C.npages, DKFID_GUP_PIN);
	snap("pin");
	step_gup("gup_fast", C.addr, C.npages, DKFID_GUP_GUP_FAST);
	snap("gup_fast");

	na = mremap(C.addr, C.len, 2 * C.len, MREMAP_MAYMOVE);
	if (na == MAP_FAILED) {
		obs_errno("mremap_grow", errno);
		snap("mremap_grow");
	} else {
		int tail[1] = { 5 };

		obs_errno("mremap_grow", 0);
		obs_bool("mremap_grow", "moved", na != (void *)C.addr);
		C.addr = na;
		C.len *= 2;
		C.npages *= 2;
		snap("mremap_grow");
		{
			int idx[4] = { 0, 1, 2, 3 };

			step_touch("touch_moved", C.addr, idx, 4);
			snap("touch_moved");
		}
		step_touch("touch_tail", C.addr, tail, 1);
		snap("touch_tail");
	}

	step_syscall_errno("munmap_mid", munmap(C.addr + g_page, g_page));
	snap("munmap_mid");

	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");

	step_syscall_errno("close", close(C.fd));
	C.fd = -1;
	snap("close");
}

/* MAP_PRIVATE variant: COW of driver pages (write_first: the parent writes pages 0-1 before the fork) */
static void run_private_ex(const char *scn, const char *text, unsigned mode, unsigned vmflags, int write_first);

static void run_private(const char *scn, const char *text, unsigned mode, unsigned vmflags)
{
	run_private_ex(scn, text, mode, vmflags, 1);
}

static void run_private_ex(const char *scn, const char *text, unsigned mode, unsigned vmflags, int write_first)
{
	struct std_child_arg ca = { 1 };
	int npages = 4;

	begin(scn, text);
	C.drv = 1;
	C.fd = dev_open();
	if (dev_setup("setup", C.fd, mode, vmflags, npages, 0, 0)) {
		snap("setup");
		close(C.fd);
		return;
	}
	snap("setup");
	if (step_mmap("mmap", npages, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0) < 0) {
		snap("mmap");
		close(C.fd);
		snap("close");
		return;
	}
	snap("mmap");
	step_touch_all("touch");
	snap("touch");
	/* write pages 0 and 1 only: 2 and 3 stay shared with the driver */
	if (write_first) {
		step_write_all("write", C.addr, 2, 0x10);
		obs_readback("write", npages, 1);
		snap("write");
	}
	do_fork(std_child, &ca);
	obs_readback("child_exit", npages, 1);
	if (!write_first) {
		step_write_all("write", C.addr, 2, 0x10);
		obs_readback("write", npages, 1);
		snap("write");
	}
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
	step_syscall_errno("close", close(C.fd));
	C.fd = -1;
	snap("close");
}

/* ------------------------------------------------------------------ */
/* S1: fault + get_page, three map/touch/unmap cycles                   */

static void run_fault_cycles(void)
{
	int k;
	char st[32];

	begin("fault_cycles",
	      "S1 (E5+ form): ->fault with get_page, driver sets VM_DONTEXPAND|VM_DONTDUMP; three mmap/touch/munmap cycles, "
	      "mremap growth refused, then close frees the pages");
	C.drv = 1;
	C.fd = dev_open();
	dev_setup("setup", C.fd, DKFID_MODE_FAULT_GET, DKFID_VMF_DONTEXPAND | DKFID_VMF_DONTDUMP, 4, 0, 0);
	snap("setup");
	for (k = 1; k <= 3; k++) {
		snprintf(st, sizeof(st), "c%d_mmap", k);
		if (step_mmap(st, 4, PROT_READ | PROT_WRITE, MAP_SHARED, 0) < 0) {
			snap(st);
			break;
		}
		snap(st);
		snprintf(st, sizeof(st), "c%d_touch", k);
		step_touch_all(st);
		snap(st);
		if (k == 3) {
			void *na = mremap(C.addr, C.len, 2 * C.len, MREMAP_MAYMOVE);

			obs_errno("c3_mremap_grow", na == MAP_FAILED ? errno : 0);
			if (na != MAP_FAILED) {
				C.addr = na;
				C.len *= 2;
				C.npages *= 2;
			}
			snap("c3_mremap_grow");
		}
		snprintf(st, sizeof(st), "c%d_munmap", k);
		step_syscall_errno(st, munmap(C.addr, C.len));
		C.addr = NULL;
		snap(st);
	}
	step_syscall_errno("close", close(C.fd));
	snap("close");
}

/* ------------------------------------------------------------------ */
/* S3: VM_LOCKED | VM_IO set by the driver                              */

static void locked_child(void *a)
{
	(void)a;
	snap("child_start");
}

static void run_locked_io(void)
{
	unsigned char *anon;
	long lim;
	struct rlimit rl;

	begin("locked_io",
	      "S3: driver ->mmap sets VM_LOCKED|VM_IO and remap_pfn_range()s 8 driver RAM pages (stand-in for an MMIO window); "
	      "RLIMIT_MEMLOCK 16 pages, no CAP_IPC_LOCK");
	getrlimit(RLIMIT_MEMLOCK, &rl);
	lim = (long)rl.rlim_cur;
	obs_int("setup", "rlimit_memlock", lim);
	C.drv = 1;
	C.fd = dev_open();
	dev_setup("setup", C.fd, DKFID_MODE_REMAP, DKFID_VMF_LOCKED | DKFID_VMF_IO, 8, 0, 0);
	snap("setup");
	if (step_mmap("mmap", 8, PROT_READ | PROT_WRITE, MAP_SHARED, 0) < 0) {
		snap("mmap");
		close(C.fd);
		return;
	}
	snap("mmap");
	step_touch_all("touch");
	snap("touch");

	anon = mmap(NULL, 12 * g_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	obs_errno("anon_mmap", anon == MAP_FAILED ? errno : 0);
	snap("anon_mmap");
	step_syscall_errno("mlock_anon", mlock(anon, 12 * g_page));
	snap("mlock_anon");
	step_syscall_errno("mlock_dev", mlock(C.addr, C.len));
	snap("mlock_dev");
	step_syscall_errno("munlock_anon", munlock(anon, 12 * g_page));
	snap("munlock_anon");
	step_syscall_errno("mlock_dev2", mlock(C.addr, C.len));
	snap("mlock_dev2");
	step_syscall_errno("mlock_anon2", mlock(anon, 12 * g_page));
	snap("mlock_anon2");
	do_fork(locked_child, NULL);
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
	step_syscall_errno("munmap_anon", munmap(anon, 12 * g_page));
	snap("munmap_anon");
	step_syscall_errno("close", close(C.fd));
	snap("close");
}

/* ------------------------------------------------------------------ */
/* S4: PG_reserved                                                      */

static void run_reserved_free(void)
{
	static const unsigned orders[3] = { 0, 1, 4 };
	int oi, clr;

	begin("reserved_free",
	      "S4/DKMM003: alloc_pages(GFP_KERNEL, order) (not compound), SetPageReserved on every page, "
	      "optionally ClearPageReserved, __free_pages(page, order), then inspect; orders 0, 1, 4");
	for (oi = 0; oi < 3; oi++)
		for (clr = 1; clr >= 0; clr--) {
			struct dkfid_resfree r;
			char step[32];
			int n = 1 << orders[oi], i, res[DKFID_MAXPAGES], inb[DKFID_MAXPAGES];
			long long kc[DKFID_MAXPAGES];
			char *kf[DKFID_MAXPAGES];

			snprintf(step, sizeof(step), "o%u_%s", orders[oi], clr ? "clear" : "noclear");
			memset(&r, 0, sizeof(r));
			r.order = orders[oi];
			r.clear = clr;
			if (ioctl(g_ctl, DKFID_RESFREE, &r) != 0) {
				obs_errno(step, errno);
				obs_dmesg(step);
				continue;
			}
			obs_errno(step, 0);
			obs_int(step, "order", orders[oi]);
			obs_bool(step, "clear", clr);
			obs_pstates(step, "before_", r.before, n, 0);
			obs_pstates(step, "after_", r.after, n, 0);
			for (i = 0; i < n; i++) {
				res[i] = !!(r.after[i].flags & DKFID_PF_RESERVED);
				inb[i] = !!(r.after[i].flags & DKFID_PF_INBUDDY);
				kc[i] = kpage_read("/proc/kpagecount", r.pfn + i);
				kf[i] = kpf_string(kpage_read("/proc/kpageflags", r.pfn + i));
			}
			obs_bools(step, "after_reserved", res, n);
			obs_bools(step, "after_inbuddy", inb, n);
			obs_bool(step, "probe_reused", r.probe_reused);
			obs_ints(step, "kpagecount", kc, n);
			obs_strs(step, "kpageflags", kf, n);
			for (i = 0; i < n; i++)
				free(kf[i]);
			obs_dmesg(step);
		}
}

static void run_remap_reserved(int clear)
{
	const char *scn = clear ? "remap_reserved_clear" : "remap_reserved_noclear";

	begin(scn, clear ?
	      "S4-B: order-2 non-compound buffer, SetPageReserved on all 4 pages, remap_pfn_range, ClearPageReserved before free_pages(buf, 2)" :
	      "S4-C: order-2 non-compound buffer, SetPageReserved on all 4 pages, remap_pfn_range, free_pages(buf, 2) WITHOUT ClearPageReserved");
	C.drv = 1;
	C.fd = dev_open();
	dev_setup("setup", C.fd, DKFID_MODE_REMAP, 0, 4,
		  DKFID_BUF_NOSPLIT | DKFID_BUF_RESERVE | (clear ? DKFID_BUF_CLEAR : 0), 0);
	snap("setup");
	if (step_mmap("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED, 0) < 0) {
		snap("mmap");
		close(C.fd);
		return;
	}
	snap("mmap");
	step_touch_all("touch");
	snap("touch");
	{
		char sig[64];

		if (probe_write(C.addr + 1, 0x55, sig, sizeof(sig)) < 0)
			obs_str("write", "signal", sig);
		else
			obs_null("write", "signal");
	}
	snap("write");
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	obs_readback("munmap", 1, 1);
	snap("munmap");
	step_syscall_errno("close", close(C.fd));
	snap("close");
}

/* vm_insert_page on the tail pages of a non-compound order-2 block */
static void run_insert_nosplit(void)
{
	begin("insert_page_nosplit",
	      "DKMM010: vm_insert_page of the 4 pages of a non-compound order-2 allocation (tails have refcount 0)");
	C.drv = 1;
	C.fd = dev_open();
	dev_setup("setup", C.fd, DKFID_MODE_INSERT_PAGE, 0, 4, DKFID_BUF_NOSPLIT, 0);
	snap("setup");
	if (step_mmap("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED, 0) == 0) {
		snap("mmap");
		munmap(C.addr, C.len);
		C.addr = NULL;
	} else {
		snap("mmap");
	}
	step_syscall_errno("close", close(C.fd));
	snap("close");
}

/* ------------------------------------------------------------------ */
/* S6: .close without .open                                            */

static void s6_child(void *a)
{
	(void)a;
	snap("child_start");
	step_touch_all("child_touch");
	snap("child_touch");
}

static void run_close_no_open(void)
{
	begin("close_no_open",
	      "S6/DKMM018-B: remap_pfn_range of 4 driver pages, vm_ops has .close but no .open; ->mmap maps++, .close maps-- and "
	      "frees the buffer when maps reaches 0; fork + child exit");
	C.drv = 1;
	C.fd = dev_open();
	dev_setup("setup", C.fd, DKFID_MODE_REMAP, 0, 4, DKFID_BUF_CLOSE_ONLY, 0);
	snap("setup");
	if (step_mmap("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED, 0) < 0) {
		snap("mmap");
		close(C.fd);
		return;
	}
	snap("mmap");
	step_touch_all("touch");
	snap("touch");
	do_fork(s6_child, NULL);
	/* the buffer may be freed now: the parent still maps it (reads only) */
	step_touch_all("touch_after");
	snap("touch_after");
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
	step_syscall_errno("close", close(C.fd));
	snap("close");
}

static void run_close_no_open_split(void)
{
	int idx[4] = { 0, 1, 2, 3 };

	begin("close_no_open_split",
	      "S6 variant: same driver; the user munmaps the middle page (vma split: the new piece gets no .open, "
	      "the unmapped piece gets .close)");
	C.drv = 1;
	C.fd = dev_open();
	dev_setup("setup", C.fd, DKFID_MODE_REMAP, 0, 4, DKFID_BUF_CLOSE_ONLY, 0);
	snap("setup");
	if (step_mmap("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED, 0) < 0) {
		snap("mmap");
		close(C.fd);
		return;
	}
	snap("mmap");
	step_syscall_errno("munmap_mid", munmap(C.addr + g_page, g_page));
	snap("munmap_mid");
	step_touch("touch", C.addr, idx, 4);
	snap("touch");
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
	step_syscall_errno("close", close(C.fd));
	snap("close");
}

/* ------------------------------------------------------------------ */
/* GUP on anonymous memory                                              */

static void anon_child(void *a)
{
	(void)a;
	snap("child_start");
	step_write_all("child_write", C.addr, C.npages, 0x30);
	snap("child_write");
}

static void run_gup_anon(void)
{
	void *p;

	begin("gup_anon",
	      "get_user_pages / pin_user_pages / get_user_pages_fast on 4 pages of private anonymous memory (written first)");
	C.drv = 0;
	p = mmap(NULL, 4 * g_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	obs_errno("mmap", p == MAP_FAILED ? errno : 0);
	if (p == MAP_FAILED)
		return;
	C.addr = p;
	C.len = 4 * g_page;
	C.npages = 4;
	snap("mmap");
	step_write_all("write", C.addr, 4, 0x10);
	snap("write");
	step_gup("gup", C.addr, 4, DKFID_GUP_GUP);
	snap("gup");
	step_gup("pin", C.addr, 4, DKFID_GUP_PIN);
	snap("pin");
	step_gup("gup_fast", C.addr, 4, DKFID_GUP_GUP_FAST);
	snap("gup_fast");
	do_fork(anon_child, NULL);
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
}

/* ------------------------------------------------------------------ */

static int want(int argc, char **argv, const char *name)
{
	int i;

	if (argc <= 1)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fidelity II (issue 20): pre-faulting, munlock at unmap, smaps of     */
/* shared pages, mremap, madvise, FOLL_FORCE, shared write faults,      */
/* write-notify, the process's own mappings                             */


static const int J01[2] = { 0, 1 }, J23[2] = { 2, 3 }, J0[1] = { 0 };

static void sys_step(const char *step, int r)
{
	step_syscall_errno(step, r);
	snap(step);
}

static void touch_step(const char *step)
{
	step_touch_all(step);
	snap(step);
}

static void touch_idx_step(const char *step, const int *idx, int n)
{
	step_touch(step, C.addr, idx, n);
	snap(step);
}

/* write byte 1 of the pages idx[] (value base + index) */
static void write_idx_step(const char *step, const int *idx, int n, int base)
{
	char sig[64], first[64] = "";
	int i;

	for (i = 0; i < n; i++)
		if (probe_write(C.addr + idx[i] * g_page + 1, (unsigned char)(base + idx[i]), sig, sizeof(sig)) < 0 && !first[0])
			snprintf(first, sizeof(first), "%s", sig);
	if (first[0])
		obs_str(step, "signal", first);
	else
		obs_null(step, "signal");
	snap(step);
}

static void write_step(const char *step, int base)
{
	step_write_all(step, C.addr, C.npages, base);
	snap(step);
}

/* open, DKFID_SETUP, snapshot "setup" */
static int drv_begin(const char *scn, const char *text, unsigned mode, unsigned vmflags, int npages, unsigned bufflags)
{
	begin(scn, text);
	C.drv = 1;
	C.fd = dev_open();
	if (dev_setup("setup", C.fd, mode, vmflags, npages, bufflags, 0)) {
		snap("setup");
		close(C.fd);
		return -1;
	}
	snap("setup");
	return 0;
}

/* mmap of the whole buffer (npages) with prot/flags; snapshot; on failure close */
static int drv_map(const char *step, int npages, int prot, int flags)
{
	if (step_mmap(step, npages, prot, flags, 0) < 0) {
		snap(step);
		close(C.fd);
		C.fd = -1;
		snap("close");
		return -1;
	}
	snap(step);
	return 0;
}

/* munmap of the mapping under test (if any), then close of the device (if open) */
static void drv_end(void)
{
	if (C.addr) {
		step_syscall_errno("munmap", munmap(C.addr, C.len));
		C.addr = NULL;
		snap("munmap");
	}
	if (C.fd >= 0) {
		step_syscall_errno("close", close(C.fd));
		C.fd = -1;
		snap("close");
	}
}

/* private anonymous memory of npages as the mapping under test (extra: MAP_SHARED instead of MAP_PRIVATE) */
static int anon_begin(const char *scn, const char *text, int npages, int shared, int write)
{
	void *p;

	begin(scn, text);
	p = mmap(NULL, npages * g_page, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	obs_errno("mmap", p == MAP_FAILED ? errno : 0);
	if (p == MAP_FAILED)
		return -1;
	C.addr = p;
	C.len = npages * g_page;
	C.npages = npages;
	snap("mmap");
	if (write)
		write_step("write", 0x10);
	return 0;
}

/* /proc/self/mem: one byte read or written at addr (FOLL_FORCE) */
static void procmem_step(const char *step, unsigned char *addr, int write, unsigned char val)
{
	unsigned char b = val;
	long r = procmem_rw(addr, write, &b);	/* before b is read: argument order is unspecified */

	obs_procmem(step, r, write, b);
	snap(step);
}

static void madv_step(const char *step, unsigned char *addr, size_t len, int advice)
{
	sys_step(step, madvise(addr, len, advice));
}

/* ---- pre-faulting ------------------------------------------------ */

static void run_populate(const char *scn, int shared)
{
	if (drv_begin(scn, shared ?
		      "->fault with get_page; mmap(MAP_SHARED|MAP_POPULATE, RW): populate_vma_page_range read-faults a shared mapping (no FOLL_WRITE), then the user writes" :
		      "->fault with get_page; mmap(MAP_PRIVATE|MAP_POPULATE, RW): populate_vma_page_range write-faults a private writable mapping, so every page is COW-copied at mmap",
		      DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_POPULATE))
		return;
	touch_step("touch");
	write_step("write", 0x10);
	obs_readback("write", 4, 1);
	drv_end();
}

static void run_mlock_drv(const char *scn, int shared)
{
	if (drv_begin(scn, shared ?
		      "->fault with get_page, MAP_SHARED RW, not touched; mlock faults the pages in (read) and mlocks them; munmap of the VM_LOCKED vma munlocks them" :
		      "->fault with get_page, MAP_PRIVATE RW, not touched; mlock pre-faults with a write fault (COW copies, mlocked); munlock; munmap",
		      DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE))
		return;
	sys_step("mlock", mlock(C.addr, C.len));
	if (!shared)
		sys_step("munlock", munlock(C.addr, C.len));
	drv_end();
}

static void run_mlockall(const char *scn, const char *text, unsigned mode, int shared)
{
	if (drv_begin(scn, text, mode, 0, 4, 0))
		return;
	sys_step("mlockall_future", mlockall(MCL_FUTURE));
	if (step_mmap("mmap", 4, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, 0) < 0) {
		snap("mmap");
		munlockall();
		drv_end();
		return;
	}
	snap("mmap");
	sys_step("munlockall", munlockall());
	drv_end();
}

static void run_mlock_fault_fail(void)
{
	if (drv_begin("mlock_fault_fail",
		      "->fault returns VM_FAULT_SIGBUS for every page; MAP_SHARED RW; mlock: __mm_populate gets -EFAULT, __mlock_posix_error_return makes it ENOMEM, VM_LOCKED stays",
		      DKFID_MODE_FAULT_GET, 0, 4, DKFID_BUF_FAULT_FAIL))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	sys_step("mlock", mlock(C.addr, C.len));
	touch_idx_step("touch", J0, 1);
	sys_step("munlock", munlock(C.addr, C.len));
	drv_end();
}

static void run_mlock_onfault(void)
{
	if (drv_begin("mlock_onfault",
		      "->fault with get_page, MAP_SHARED RW; mlock2(MLOCK_ONFAULT) (VM_LOCKED|VM_LOCKONFAULT: no populate; smaps mnemonic), then pages 0-1 are read and mlocked at fault",
		      DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	sys_step("mlock2_onfault", (int)syscall(SYS_mlock2, C.addr, C.len, MLOCK_ONFAULT));
	touch_idx_step("touch", J01, 2);
	sys_step("munlock", munlock(C.addr, C.len));
	drv_end();
}

/* ---- smaps of pages mapped twice ---------------------------------- */

/* the second mapping (g_d): a few keys of its smaps entry and pagemap */

static void snap_d(const char *step)
{
	struct smaps_ent e;
	struct dkfid_query q;
	int present[16] = { 0 }, isdrv[16] = { 0 }, i, j, have = C.drv && drv_query(&q) == 0;

	if (!g_d)
		return;
	smaps_lookup((unsigned long)g_d, (unsigned long)g_d, (unsigned long)g_d + g_dn * g_page, &e, NULL);
	obs_bool(step, "d_mapped", e.found);
	if (e.found) {
		obs_str(step, "d_vmflags", e.vmflags);
		obs_int(step, "d_rss_kb", e.rss_kb);
		obs_int(step, "d_locked_kb", e.locked_kb);
	}
	for (i = 0; i < g_dn && i < 16; i++) {
		uint64_t v = pagemap_entry((unsigned long)g_d + i * g_page);

		present[i] = !!(v & PM_PRESENT);
		if (have && present[i])
			for (j = 0; j < (int)q.npages; j++)
				if (q.p[j].pfn == (v & PM_PFN_MASK))
					isdrv[i] = 1;
	}
	obs_bools(step, "d_pm_present", present, i);
	obs_bools(step, "d_pm_is_drv", isdrv, i);
}

static void snap2(const char *step)
{
	snap_d(step);
	snap(step);
}

static void sys_step2(const char *step, int r)
{
	step_syscall_errno(step, r);
	snap2(step);
}

static void run_shared_twice(void)
{
	int i;

	if (drv_begin("shared_twice",
		      "->fault with get_page; the 4 pages mapped twice (two MAP_SHARED mmaps of the fd, both read): mapcount 2; mlock of the first: smaps Locked is proportional (Pss), not Rss",
		      DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	g_d = mmap(NULL, 4 * g_page, PROT_READ | PROT_WRITE, MAP_SHARED, C.fd, 0);
	obs_errno("mmap2", g_d == MAP_FAILED ? errno : 0);
	if (g_d == MAP_FAILED)
		g_d = NULL;
	g_dn = 4;
	snap2("mmap2");
	step_touch_all("touch");
	for (i = 0; g_d && i < 4; i++)
		(void)probe_read(g_d + i * g_page, NULL, 0);
	snap2("touch");
	sys_step2("mlock", mlock(C.addr, C.len));
	if (g_d) {
		step_syscall_errno("munmap2", munmap(g_d, 4 * g_page));
		g_d = NULL;
		snap("munmap2");
	}
	drv_end();
}

/* ---- mremap ------------------------------------------------------- */

static void mremap_dup_step(const char *step)
{
	void *na = mremap(C.addr, 0, C.len, MREMAP_MAYMOVE);

	obs_errno(step, na == MAP_FAILED ? errno : 0);
	if (na != MAP_FAILED) {
		g_d = na;
		g_dn = C.npages;
	}
	snap2(step);
}

static void run_mremap_dup(const char *scn, const char *text, unsigned mode, int shared)
{
	int i;

	if (drv_begin(scn, text, mode, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE))
		return;
	touch_step("touch");
	mremap_dup_step("dup");
	if (g_d) {
		long long d[4];

		for (i = 0; i < 4; i++)
			d[i] = probe_read(g_d + i * g_page, NULL, 0);
		obs_ints("touch_dup", "data", d, 4);
		snap2("touch_dup");
		step_syscall_errno("munmap_dup", munmap(g_d, 4 * g_page));
		g_d = NULL;
		snap("munmap_dup");
	}
	drv_end();
}

/* an anonymous target of n pages, byte 0 of each = 'T' */
static unsigned char *make_target(const char *step, int n)
{
	unsigned char *t = mmap(NULL, n * g_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	obs_errno(step, t == MAP_FAILED ? errno : 0);
	if (t == MAP_FAILED)
		return NULL;
	for (i = 0; i < n; i++)
		t[i * g_page] = 'T';
	g_d = t;
	g_dn = n;
	snap2(step);
	return t;
}

static void run_mremap_fixed_grow(void)
{
	unsigned char *t;
	void *na;

	if (drv_begin("mremap_fixed_grow",
		      "->fault with get_page, driver sets VM_DONTEXPAND; MAP_SHARED 4 pages; mremap(addr, 16K, 32K, MAYMOVE|FIXED, target) onto an 8-page anonymous target: mremap_to unmaps the target before vma_to_resize refuses the growth (EFAULT)",
		      DKFID_MODE_FAULT_GET, DKFID_VMF_DONTEXPAND, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	touch_step("touch");
	t = make_target("target", 8);
	na = mremap(C.addr, C.len, 2 * C.len, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	obs_errno("mremap", na == MAP_FAILED ? errno : 0);
	if (na != MAP_FAILED) {
		C.addr = na;
		C.len *= 2;
		C.npages *= 2;
		g_d = NULL;
	}
	snap2("mremap");
	if (g_d) {
		long long d[1] = { probe_read(g_d, NULL, 0) };

		obs_ints("touch_target", "data", d, 1);
		snap2("touch_target");
		munmap(g_d, 8 * g_page);
		g_d = NULL;
	}
	drv_end();
}

static void run_mremap_fixed_shrink(void)
{
	unsigned char *t;
	void *na;

	if (drv_begin("mremap_fixed_shrink",
		      "->fault with get_page, MAP_SHARED 4 pages (read); mremap(addr, 16K, 8K, MAYMOVE|FIXED, target) onto a 2-page anonymous target: the tail is split off and unmapped, then the head moved (->open/->close of each step)",
		      DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	touch_step("touch");
	t = make_target("target", 2);
	na = mremap(C.addr, C.len, 2 * g_page, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	obs_errno("mremap", na == MAP_FAILED ? errno : 0);
	if (na != MAP_FAILED) {
		obs_bool("mremap", "at_target", na == (void *)t);
		C.addr = na;
		C.len = 2 * g_page;
		C.npages = 2;
		g_d = NULL;
	}
	snap2("mremap");
	touch_step("touch_moved");
	drv_end();
}

static void run_mremap_grow_move(void)
{
	unsigned char *blk;
	void *na;

	if (drv_begin("mremap_grow_move",
		      "->fault with get_page, 8-page buffer, MAP_SHARED of the first 4 pages (read), an anonymous page placed right after; mremap(16K -> 32K, MAYMOVE) must move: copy_vma (->open), unmap of the old (->close); pages 4..7 fault at the new place",
		      DKFID_MODE_FAULT_GET, 0, 8, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	touch_step("touch");
	blk = mmap(C.addr + C.len, g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	obs_errno("block", blk == MAP_FAILED ? errno : 0);
	snap("block");
	na = mremap(C.addr, C.len, 2 * C.len, MREMAP_MAYMOVE);
	obs_errno("mremap_grow", na == MAP_FAILED ? errno : 0);
	if (na != MAP_FAILED) {
		obs_bool("mremap_grow", "moved", na != (void *)C.addr);
		C.addr = na;
		C.len *= 2;
		C.npages *= 2;
	}
	snap("mremap_grow");
	touch_step("touch_grown");
	if (blk != MAP_FAILED)
		munmap(blk, g_page);
	drv_end();
}

static void run_mremap_dontunmap(const char *scn, int drv)
{
	void *na;

	if (drv) {
		if (drv_begin(scn,
			      "->fault with get_page, MAP_SHARED 4 pages (read); mremap(addr, 16K, 16K, MAYMOVE|DONTUNMAP): the pages move to the new vma (->open), the old vma stays mapped but empty and faults again through the driver",
			      DKFID_MODE_FAULT_GET, 0, 4, 0))
			return;
		if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
			return;
		touch_step("touch");
	} else if (anon_begin(scn,
			      "4 written pages of private anonymous memory; mremap(addr, 16K, 16K, MAYMOVE|DONTUNMAP): the pages move, the old range stays mapped and reads zero-fill",
			      4, 0, 1)) {
		return;
	}
	/* raw syscall: glibc 2.36 passes new_address only with MREMAP_FIXED */
	na = (void *)syscall(SYS_mremap, C.addr, C.len, C.len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	obs_errno("dontunmap", na == MAP_FAILED ? errno : 0);
	if (na != MAP_FAILED) {
		g_d = na;
		g_dn = C.npages;
	}
	snap2("dontunmap");
	if (g_d) {
		long long d[4];
		int i;

		for (i = 0; i < 4; i++)
			d[i] = probe_read(g_d + i * g_page + (drv ? 0 : 1), NULL, 0);
		obs_ints("touch_new", "data", d, 4);
		snap2("touch_new");
	}
	touch_step("touch_old");
	if (g_d) {
		step_syscall_errno("munmap_new", munmap(g_d, C.len));
		g_d = NULL;
		snap("munmap_new");
	}
	if (drv) {
		drv_end();
	} else {
		step_syscall_errno("munmap", munmap(C.addr, C.len));
		C.addr = NULL;
		snap("munmap");
	}
}

/* ---- madvise -------------------------------------------------------- */

/* 2 written anonymous pages followed by a 2-page remap_pfn_range mapping (MAP_FIXED at +8K) */
static int span_begin(const char *scn, const char *text)
{
	void *p, *d;
	int idx[2] = { 0, 1 };

	begin(scn, text);
	C.drv = 1;
	C.fd = dev_open();
	if (dev_setup("setup", C.fd, DKFID_MODE_REMAP, 0, 2, 0, 0)) {
		snap("setup");
		close(C.fd);
		return -1;
	}
	snap("setup");
	p = mmap(NULL, 4 * g_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		obs_errno("mmap", errno);
		return -1;
	}
	d = mmap((unsigned char *)p + 2 * g_page, 2 * g_page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, C.fd, 0);
	obs_errno("mmap", d == MAP_FAILED ? errno : 0);
	C.addr = p;
	C.len = 4 * g_page;
	C.npages = 4;
	g_d = d == MAP_FAILED ? NULL : d;
	g_dn = 2;
	(void)idx;
	write_idx_step("mmap", J01, 2, 0x10);
	return 0;
}

static void span_end(void)
{
	g_d = NULL;
	drv_end();
}

static void run_madvise_span_dontneed(void)
{
	if (span_begin("madvise_span_dontneed",
		       "[2 anonymous pages | 2-page remap_pfn_range]; MADV_DONTNEED over the 4 pages: madvise_walk_vmas zaps the anonymous vma, then fails on the VM_PFNMAP one (EINVAL)"))
		return;
	step_syscall_errno("dontneed", madvise(C.addr, C.len, MADV_DONTNEED));
	snap2("dontneed");
	touch_idx_step("touch", J01, 2);
	span_end();
}

static void run_madvise_span_dofork(void)
{
	if (span_begin("madvise_span_dofork",
		       "[2 anonymous pages | 2-page remap_pfn_range (VM_IO)]; MADV_DONTFORK over both (allowed), then MADV_DOFORK: cleared on the anonymous vma, EINVAL at the VM_IO one"))
		return;
	step_syscall_errno("dontfork", madvise(C.addr, C.len, MADV_DONTFORK));
	snap2("dontfork");
	step_syscall_errno("dofork", madvise(C.addr, C.len, MADV_DOFORK));
	snap2("dofork");
	span_end();
}

static void run_madv_anon(const char *scn, const char *text, int shared, int a1, const char *s1, int a2, const char *s2)
{
	if (anon_begin(scn, text, 4, shared, 1))
		return;
	madv_step(s1, C.addr, C.len, a1);
	if (s2)
		madv_step(s2, C.addr, C.len, a2);
	touch_step("touch");
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
}

static void run_madv_drv(const char *scn, const char *text, unsigned mode, int shared, int a1, const char *s1, int a2,
			 const char *s2)
{
	if (drv_begin(scn, text, mode, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE))
		return;
	if (a1 != MADV_POPULATE_READ)
		touch_step("touch");
	madv_step(s1, C.addr, C.len, a1);
	if (s2)
		madv_step(s2, C.addr, C.len, a2);
	drv_end();
}

static void run_madv_free(void)
{
	if (anon_begin("madv_free_anon",
		       "4 written private anonymous pages; MADV_FREE (lazy free: clean, not swap-backed), then page 0 is written again (re-dirtied, stays)",
		       4, 0, 1))
		return;
	madv_step("free", C.addr, C.len, MADV_FREE);
	write_idx_step("rewrite", J0, 1, 0x20);
	touch_step("touch");
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
}

static void run_dontneed_locked(int drv)
{
	if (drv) {
		if (drv_begin("madv_dontneed_locked_drv",
			      "->fault with get_page, MAP_SHARED 4 pages, mlock; MADV_DONTNEED (EINVAL on VM_LOCKED), MADV_DONTNEED_LOCKED zaps the mlocked pages",
			      DKFID_MODE_FAULT_GET, 0, 4, 0))
			return;
		if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
			return;
	} else if (anon_begin("madv_dontneed_locked_anon",
			      "4 written private anonymous pages, mlock; MADV_DONTNEED (EINVAL on VM_LOCKED), MADV_DONTNEED_LOCKED zaps them (the range stays VM_LOCKED)",
			      4, 0, 1)) {
		return;
	}
	sys_step("mlock", mlock(C.addr, C.len));
	madv_step("dontneed", C.addr, C.len, MADV_DONTNEED);
	madv_step("dontneed_locked", C.addr, C.len, MADV_DONTNEED_LOCKED);
	touch_idx_step("touch", J01, 2);
	if (drv) {
		drv_end();
	} else {
		step_syscall_errno("munmap", munmap(C.addr, C.len));
		C.addr = NULL;
		snap("munmap");
	}
}

/* ---- GUP with FOLL_FORCE through /proc/self/mem --------------------- */

static void run_procmem_anon(void)
{
	if (anon_begin("procmem_anon",
		       "/proc/self/mem on 4 written private anonymous pages: read of a PROT_NONE page (FOLL_FORCE, VM_MAYREAD), write into the PROT_READ mapping (FOLL_FORCE on a COW mapping)",
		       4, 0, 1))
		return;
	sys_step("mprotect_none", mprotect(C.addr, C.len, PROT_NONE));
	procmem_step("read_none", C.addr + 1, 0, 0);
	sys_step("mprotect_ro", mprotect(C.addr, C.len, PROT_READ));
	procmem_step("write_ro", C.addr + 2 * g_page + 1, 1, 0x66);
	touch_step("touch");
	step_syscall_errno("munmap", munmap(C.addr, C.len));
	C.addr = NULL;
	snap("munmap");
}

static void run_procmem_drv(const char *scn, const char *text, int prot, int shared, int write)
{
	if (drv_begin(scn, text, DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, prot, shared ? MAP_SHARED : MAP_PRIVATE))
		return;
	procmem_step(write ? "procmem_write" : "procmem_read", C.addr + 1 * g_page + 1, write, 0x66);
	obs_readback(write ? "procmem_write" : "procmem_read", 4, 1);
	if (prot != PROT_NONE)
		touch_step("touch");
	drv_end();
}

/* ---- write faults on shared driver pages, write-notify -------------- */

static void run_shared_write_dirty(void)
{
	if (drv_begin("shared_write_dirty",
		      "->fault with get_page, MAP_SHARED RW: pages 0-1 read first, pages 2-3 written first (do_shared_fault dirties them), then pages 0-1 written (no fault: PTE already writable), munmap",
		      DKFID_MODE_FAULT_GET, 0, 4, 0))
		return;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, MAP_SHARED))
		return;
	touch_idx_step("read01", J01, 2);
	write_idx_step("write23", J23, 2, 0x10);
	write_idx_step("write01", J01, 2, 0x10);
	drv_end();
}

static void run_write_notify(const char *scn, int shared)
{
	if (drv_begin(scn, shared ?
		      "->fault with get_page and ->page_mkwrite (counts, lock_page, VM_FAULT_LOCKED), MAP_SHARED RW: write-protected PTEs (vma_wants_writenotify); read all, write page 0 (page_mkwrite), write page 0 again, write page 3 never read (fault + page_mkwrite), mprotect RO/RW, write page 0" :
		      "->fault with get_page and ->page_mkwrite, MAP_PRIVATE RW: no write-notify on a COW mapping; read all, write page 0 (COW copy, no page_mkwrite)",
		      DKFID_MODE_FAULT_MKWRITE, 0, 4, 0))
		return;
	g_obs_mkwrite = 1;
	if (drv_map("mmap", 4, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE)) {
		g_obs_mkwrite = 0;
		return;
	}
	if (shared) {
		touch_idx_step("read012", (const int[]){ 0, 1, 2 }, 3);
		write_idx_step("write0", J0, 1, 0x10);
		write_idx_step("write0_again", J0, 1, 0x20);
		write_idx_step("write3", (const int[]){ 3 }, 1, 0x10);
		sys_step("mprotect_ro", mprotect(C.addr, C.len, PROT_READ));
		sys_step("mprotect_rw", mprotect(C.addr, C.len, PROT_READ | PROT_WRITE));
		write_idx_step("write0_after", J0, 1, 0x30);
	} else {
		touch_step("touch");
		write_idx_step("write0", J0, 1, 0x10);
	}
	drv_end();
	g_obs_mkwrite = 0;
}

/* ---- the process's own mappings -------------------------------------- */

static void run_own_mappings(void)
{
	int local = 1;
	void *brk0 = sbrk(0);

	begin("own_mappings",
	      "the process's own mappings: [stack], [heap] and program text (smaps perms, VmFlags), VmRSS; mlockall(MCL_CURRENT) "
	      "with RLIMIT_MEMLOCK 16 pages and no CAP_IPC_LOCK (total_vm is larger: ENOMEM)");
	obs_own_mapping("maps", "stack_", (unsigned long)&local);
	obs_own_mapping("maps", "heap_", (unsigned long)brk0 - 1);
	obs_own_mapping("maps", "text_", (unsigned long)&run_own_mappings);
	obs_bool("maps", "vmrss_pos", status_kb("VmRSS") > 0);
	snap("maps");
	sys_step("mlockall_current", mlockall(MCL_CURRENT));
	sys_step("munlockall", munlockall());
}

static void run_fidelity2(int argc, char **argv)
{
	/*
	 * From here on a heap that never grows or shrinks: the mlockall(MCL_FUTURE)
	 * scenarios would otherwise lock (or fail) new heap pages of the snapshot
	 * code. Not done at start, so the memory layout of the scenarios above
	 * stays as it was recorded before.
	 */
	mallopt(M_TOP_PAD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	free(malloc(1 << 20));
#define W(n) want(argc, argv, n)
	if (W("populate_private"))
		run_populate("populate_private", 0);
	if (W("populate_shared"))
		run_populate("populate_shared", 1);
	if (W("mlock_private"))
		run_mlock_drv("mlock_private", 0);
	if (W("mlock_shared"))
		run_mlock_drv("mlock_shared", 1);
	if (W("mlockall_fault_shared"))
		run_mlockall("mlockall_fault_shared",
			     "mlockall(MCL_FUTURE), then mmap(MAP_SHARED RW) of a ->fault (get_page) driver: VM_LOCKED from def_flags, populated at mmap (read faults)",
			     DKFID_MODE_FAULT_GET, 1);
	if (W("mlockall_fault_private"))
		run_mlockall("mlockall_fault_private",
			     "mlockall(MCL_FUTURE), then mmap(MAP_PRIVATE RW) of a ->fault (get_page) driver: populated with write faults (COW copies, mlocked)",
			     DKFID_MODE_FAULT_GET, 0);
	if (W("mlockall_insert_page"))
		run_mlockall("mlockall_insert_page",
			     "mlockall(MCL_FUTURE), then mmap(MAP_SHARED RW) of a vm_insert_page driver: VM_MIXEDMAP strips VM_LOCKED, but do_mmap already decided to populate (__mm_populate skips only VM_IO|VM_PFNMAP)",
			     DKFID_MODE_INSERT_PAGE, 1);
	if (W("mlock_fault_fail"))
		run_mlock_fault_fail();
	if (W("mlock_onfault"))
		run_mlock_onfault();
	if (W("shared_twice"))
		run_shared_twice();
	if (W("mremap_dup_fault"))
		run_mremap_dup("mremap_dup_fault",
			       "->fault with get_page (no VM_DONTEXPAND), MAP_SHARED 4 pages (read); mremap(addr, 0, 16K, MAYMOVE) duplicates the mapping (->open); the copy faults the same driver pages",
			       DKFID_MODE_FAULT_GET, 1);
	if (W("mremap_dup_remap"))
		run_mremap_dup("mremap_dup_remap",
			       "remap_pfn_range, MAP_SHARED; mremap(addr, 0, 16K, MAYMOVE): old_len 0 is growth of a VM_DONTEXPAND|VM_PFNMAP vma (EFAULT)",
			       DKFID_MODE_REMAP, 1);
	if (W("mremap_dup_remap_private"))
		run_mremap_dup("mremap_dup_remap_private",
			       "remap_pfn_range, MAP_PRIVATE; mremap(addr, 0, 16K, MAYMOVE): old_len 0 of a private mapping (EINVAL)",
			       DKFID_MODE_REMAP, 0);
	if (W("mremap_grow_move"))
		run_mremap_grow_move();
	if (W("mremap_fixed_grow"))
		run_mremap_fixed_grow();
	if (W("mremap_fixed_shrink"))
		run_mremap_fixed_shrink();
	if (W("mremap_dontunmap_drv"))
		run_mremap_dontunmap("mremap_dontunmap_drv", 1);
	if (W("mremap_dontunmap_anon"))
		run_mremap_dontunmap("mremap_dontunmap_anon", 0);
	if (W("madvise_span_dontneed"))
		run_madvise_span_dontneed();
	if (W("madvise_span_dofork"))
		run_madvise_span_dofork();
	if (W("madv_free_anon"))
		run_madv_free();
	if (W("madv_free_drv"))
		run_madv_drv("madv_free_drv", "->fault with get_page, MAP_PRIVATE RW 4 pages (read): MADV_FREE on a non-anonymous vma (EINVAL)",
			     DKFID_MODE_FAULT_GET, 0, MADV_FREE, "free", 0, NULL);
	if (W("madv_remove_shmem"))
		run_madv_anon("madv_remove_shmem", "4 written pages of MAP_SHARED|MAP_ANONYMOUS (shmem); MADV_REMOVE punches them out; reads see zero",
			      1, MADV_REMOVE, "remove", 0, NULL);
	if (W("madv_remove_drv"))
		run_madv_drv("madv_remove_drv", "->fault with get_page, MAP_SHARED RW 4 pages (read): MADV_REMOVE on a character device (vfs_fallocate refuses)",
			     DKFID_MODE_FAULT_GET, 1, MADV_REMOVE, "remove", 0, NULL);
	if (W("madv_cold_pageout_anon"))
		run_madv_anon("madv_cold_pageout_anon", "4 written private anonymous pages; MADV_COLD (deactivate), MADV_PAGEOUT (reclaim: no swap in the VM)",
			      0, MADV_COLD, "cold", MADV_PAGEOUT, "pageout");
	if (W("madv_cold_pageout_drv"))
		run_madv_drv("madv_cold_pageout_drv", "->fault with get_page, MAP_SHARED RW 4 pages (read); MADV_COLD, MADV_PAGEOUT (driver pages are not on an LRU)",
			     DKFID_MODE_FAULT_GET, 1, MADV_COLD, "cold", MADV_PAGEOUT, "pageout");
	if (W("madv_populate_shared"))
		run_madv_drv("madv_populate_shared", "->fault with get_page, MAP_SHARED RW 4 pages, untouched; MADV_POPULATE_READ, then MADV_POPULATE_WRITE (write faults: dirty)",
			     DKFID_MODE_FAULT_GET, 1, MADV_POPULATE_READ, "populate_read", MADV_POPULATE_WRITE, "populate_write");
	if (W("madv_populate_private"))
		run_madv_drv("madv_populate_private", "->fault with get_page, MAP_PRIVATE RW 4 pages, untouched; MADV_POPULATE_READ (driver pages), then MADV_POPULATE_WRITE (COW copies)",
			     DKFID_MODE_FAULT_GET, 0, MADV_POPULATE_READ, "populate_read", MADV_POPULATE_WRITE, "populate_write");
	if (W("madv_populate_remap"))
		run_madv_drv("madv_populate_remap", "remap_pfn_range, MAP_SHARED RW 4 pages; MADV_POPULATE_READ and MADV_POPULATE_WRITE on a VM_PFNMAP|VM_IO vma",
			     DKFID_MODE_REMAP, 1, MADV_POPULATE_READ, "populate_read", MADV_POPULATE_WRITE, "populate_write");
	if (W("madv_dontneed_locked_anon"))
		run_dontneed_locked(0);
	if (W("madv_dontneed_locked_drv"))
		run_dontneed_locked(1);
	if (W("procmem_anon"))
		run_procmem_anon();
	if (W("procmem_read_none_drv"))
		run_procmem_drv("procmem_read_none_drv",
				"->fault with get_page, MAP_SHARED PROT_NONE 4 pages; pread of /proc/self/mem at page 1 (FOLL_FORCE read of a VM_MAYREAD vma faults the driver page)",
				PROT_NONE, 1, 0);
	if (W("procmem_write_private_ro"))
		run_procmem_drv("procmem_write_private_ro",
				"->fault with get_page, MAP_PRIVATE PROT_READ 4 pages; pwrite of /proc/self/mem at page 1 (FOLL_WRITE|FOLL_FORCE on a COW mapping: anonymous copy, driver page unchanged)",
				PROT_READ, 0, 1);
	if (W("procmem_write_shared_ro"))
		run_procmem_drv("procmem_write_shared_ro",
				"->fault with get_page, MAP_SHARED PROT_READ 4 pages (fd O_RDWR); pwrite of /proc/self/mem at page 1 (FOLL_FORCE write of a shared read-only vma: EFAULT -> EIO)",
				PROT_READ, 1, 1);
	if (W("shared_write_dirty"))
		run_shared_write_dirty();
	if (W("write_notify"))
		run_write_notify("write_notify", 1);
	if (W("write_notify_private"))
		run_write_notify("write_notify_private", 0);
	if (W("own_mappings"))
		run_own_mappings();
#undef W
}

int main(int argc, char **argv)
{
	struct rlimit rl = { MEMLOCK_PAGES * 4096, MEMLOCK_PAGES * 4096 };

	g_page = sysconf(_SC_PAGESIZE);
	probe_install();
	setrlimit(RLIMIT_MEMLOCK, &rl);
	drop_ipc_lock();
	meta_uname();
	meta_str("source", "qemu");
	{
		char t[32];

		snprintf(t, sizeof(t), "%d", has_ipc_lock());
		meta_str("cap_ipc_lock", t);
	}
	g_ctl = dev_open();
	kmsg_open();
	{
		char **v;
		int i, n = kmsg_drain(&v);

		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}

	if (want(argc, argv, "vm_insert_page"))
		run_std("vm_insert_page",
			"->mmap calls vm_insert_page() for each of 4 order-0 driver pages (split_page of an order-2 block); "
			"vm_ops {.open,.close} counters only, no .fault; MAP_SHARED RW", DKFID_MODE_INSERT_PAGE, 0, 0);
	if (want(argc, argv, "remap_pfn_range"))
		run_std("remap_pfn_range",
			"->mmap calls remap_pfn_range() over 4 contiguous order-0 driver pages; vm_ops {.open,.close}; MAP_SHARED RW",
			DKFID_MODE_REMAP, 0, 0);
	if (want(argc, argv, "fault_get"))
		run_std("fault_get",
			"->mmap installs vm_ops {.open,.close,.fault}; .fault does get_page(p); vmf->page = p; return 0; "
			"no VM_DONTEXPAND; pgoff >= 4 -> VM_FAULT_SIGBUS; MAP_SHARED RW", DKFID_MODE_FAULT_GET, 0, 0);
	if (want(argc, argv, "insert_pfn"))
		run_std("insert_pfn",
			"->mmap sets VM_PFNMAP|VM_IO; .fault calls vmf_insert_pfn(vma, addr, page_to_pfn(p)); MAP_SHARED RW",
			DKFID_MODE_INSERT_PFN, 0, 0);
	if (want(argc, argv, "insert_mixed"))
		run_std("insert_mixed",
			"->mmap sets VM_MIXEDMAP; .fault calls vmf_insert_mixed(vma, addr, pfn_to_pfn_t(page_to_pfn(p))); MAP_SHARED RW",
			DKFID_MODE_INSERT_MIXED, 0, 0);
	if (want(argc, argv, "insert_page_private"))
		run_private("insert_page_private",
			    "vm_insert_page driver mapped MAP_PRIVATE RW (O_RDWR fd): COW of driver pages",
			    DKFID_MODE_INSERT_PAGE, 0);
	if (want(argc, argv, "remap_private"))
		run_private("remap_private",
			    "remap_pfn_range driver mapped MAP_PRIVATE RW: COW from special PTEs",
			    DKFID_MODE_REMAP, 0);
	if (want(argc, argv, "remap_private_fork"))
		run_private_ex("remap_private_fork",
			       "remap_pfn_range driver mapped MAP_PRIVATE RW: fork BEFORE any COW write, then the child writes, "
			       "then the parent writes", DKFID_MODE_REMAP, 0, 0);
	if (want(argc, argv, "fault_get_private"))
		run_private("fault_get_private",
			    "fault+get_page driver mapped MAP_PRIVATE RW: COW of driver pages",
			    DKFID_MODE_FAULT_GET, 0);
	if (want(argc, argv, "insert_mixed_private"))
		run_private("insert_mixed_private",
			    "vmf_insert_mixed driver mapped MAP_PRIVATE RW: COW from special PTEs",
			    DKFID_MODE_INSERT_MIXED, 0);
	if (want(argc, argv, "fault_cycles"))
		run_fault_cycles();
	if (want(argc, argv, "locked_io"))
		run_locked_io();
	if (want(argc, argv, "insert_page_nosplit"))
		run_insert_nosplit();
	if (want(argc, argv, "gup_anon"))
		run_gup_anon();
	if (want(argc, argv, "close_no_open"))
		run_close_no_open();
	if (want(argc, argv, "close_no_open_split"))
		run_close_no_open_split();
	if (want(argc, argv, "remap_reserved_clear"))
		run_remap_reserved(1);
	if (want(argc, argv, "remap_reserved_noclear"))
		run_remap_reserved(0);
	if (want(argc, argv, "reserved_free"))
		run_reserved_free();
	run_fidelity2(argc, argv);
	/* last: unbalanced refcounts (guarded by 8 extra driver references) */
	if (want(argc, argv, "fault_noget"))
		run_std("fault_noget",
			".fault sets vmf->page = p WITHOUT get_page (DKMM012); the driver holds 8 guard references per page on top "
			"of its allocation reference so the pages never reach refcount 0; otherwise as fault_get",
			DKFID_MODE_FAULT_NOGET, 0, 8);
	out_write("END\n", 4);
	return 0;
}
