/*
 * obs.h - shared helpers for dkfid-test (in the VM) and dkfid-host (on the
 * host): OBS line emission with JSON values, errno/signal names, guarded
 * memory probes, /proc readers. Header-only; include once per program.
 *
 * Output line format (one observation per line):
 *   OBS <scenario> <step> <key> <json-value>
 *   DESC <scenario> <json-string>
 *   META <key> <json-value>
 *   END
 */
#ifndef DKFID_OBS_H
#define DKFID_OBS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>

/* uapi values newer than some libc headers (mremap, mlock2, madvise) */
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

/* ------------------------------------------------------------------ */
/* a tiny string builder                                               */

struct sb {
	char *p;
	size_t n, cap;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;

		while (c < b->n + n + 1)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p)
			abort();
		b->cap = c;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_puts(struct sb *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		sb_putn(b, tmp, n);
	} else {
		char *big = malloc(n + 1);

		va_start(ap, fmt);
		vsnprintf(big, n + 1, fmt, ap);
		va_end(ap);
		sb_putn(b, big, n);
		free(big);
	}
}

static void sb_free(struct sb *b) { free(b->p); b->p = NULL; b->n = b->cap = 0; }

static void sb_jstr(struct sb *b, const char *s)
{
	sb_putn(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_putn(b, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_putn(b, (const char *)&c, 1);
		}
	}
	sb_putn(b, "\"", 1);
}

/* ------------------------------------------------------------------ */
/* OBS output                                                          */

static const char *g_scn = "none";

static void out_write(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(1, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= w;
	}
}

static void obs_json(const char *step, const char *key, const char *json)
{
	struct sb b = { 0 };

	sb_printf(&b, "OBS %s %s %s %s\n", g_scn, step, key, json);
	out_write(b.p, b.n);
	sb_free(&b);
}

static void obs_int(const char *step, const char *key, long long v)
{
	char t[32];

	snprintf(t, sizeof(t), "%lld", v);
	obs_json(step, key, t);
}

static void obs_bool(const char *step, const char *key, int v) { obs_json(step, key, v ? "true" : "false"); }
static void obs_null(const char *step, const char *key) { obs_json(step, key, "null"); }

static void obs_str(const char *step, const char *key, const char *s)
{
	struct sb b = { 0 };

	if (!s) {
		obs_null(step, key);
		return;
	}
	sb_jstr(&b, s);
	obs_json(step, key, b.p);
	sb_free(&b);
}

static void obs_ints(const char *step, const char *key, const long long *v, int n)
{
	struct sb b = { 0 };
	int i;

	sb_puts(&b, "[");
	for (i = 0; i < n; i++)
		sb_printf(&b, "%s%lld", i ? "," : "", v[i]);
	sb_puts(&b, "]");
	obs_json(step, key, b.p);
	sb_free(&b);
}

static void obs_bools(const char *step, const char *key, const int *v, int n)
{
	struct sb b = { 0 };
	int i;

	sb_puts(&b, "[");
	for (i = 0; i < n; i++)
		sb_printf(&b, "%s%s", i ? "," : "", v[i] ? "true" : "false");
	sb_puts(&b, "]");
	obs_json(step, key, b.p);
	sb_free(&b);
}

static void obs_strs(const char *step, const char *key, char *const *v, int n)
{
	struct sb b = { 0 };
	int i;

	sb_puts(&b, "[");
	for (i = 0; i < n; i++) {
		if (i)
			sb_puts(&b, ",");
		sb_jstr(&b, v[i] ? v[i] : "");
	}
	sb_puts(&b, "]");
	obs_json(step, key, b.p);
	sb_free(&b);
}

static void desc(const char *scn, const char *text)
{
	struct sb b = { 0 };

	sb_printf(&b, "DESC %s ", scn);
	sb_jstr(&b, text);
	sb_puts(&b, "\n");
	out_write(b.p, b.n);
	sb_free(&b);
}

static void meta_str(const char *key, const char *val)
{
	struct sb b = { 0 };

	sb_printf(&b, "META %s ", key);
	sb_jstr(&b, val);
	sb_puts(&b, "\n");
	out_write(b.p, b.n);
	sb_free(&b);
}

/* ------------------------------------------------------------------ */
/* errno and signal names                                              */

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EHWPOISON: return "EHWPOISON";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* "errno": 0 or "ENAME" */
static void obs_errno(const char *step, int e)
{
	if (e == 0)
		obs_int(step, "errno", 0);
	else
		obs_str(step, "errno", errname(e));
}

static const char *signame(int sig, int code)
{
	static char buf[64];
	const char *s = "SIG?", *c = NULL;

	if (sig == SIGSEGV) {
		s = "SIGSEGV";
		switch (code) {
		case SEGV_MAPERR: c = "SEGV_MAPERR"; break;
		case SEGV_ACCERR: c = "SEGV_ACCERR"; break;
#ifdef SEGV_PKUERR
		case SEGV_PKUERR: c = "SEGV_PKUERR"; break;
#endif
		}
	} else if (sig == SIGBUS) {
		s = "SIGBUS";
		switch (code) {
		case BUS_ADRALN: c = "BUS_ADRALN"; break;
		case BUS_ADRERR: c = "BUS_ADRERR"; break;
		case BUS_OBJERR: c = "BUS_OBJERR"; break;
#ifdef BUS_MCEERR_AR
		case BUS_MCEERR_AR: c = "BUS_MCEERR_AR"; break;
#endif
		}
	}
	if (c)
		snprintf(buf, sizeof(buf), "%s/%s", s, c);
	else
		snprintf(buf, sizeof(buf), "%s/%d", sig == SIGSEGV || sig == SIGBUS ? s : "SIG", code);
	return buf;
}

/* ------------------------------------------------------------------ */
/* guarded memory access                                               */

static sigjmp_buf g_jb;
static volatile sig_atomic_t g_probing;
static volatile int g_sig, g_code;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (g_probing) {
		g_sig = sig;
		g_code = si->si_code;
		g_probing = 0;
		siglongjmp(g_jb, 1);
	}
	_exit(100 + sig);
}

static void probe_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* returns the byte read (0..255) or -1 and sets *sig to the signal text */
static int probe_read(const volatile unsigned char *p, char *sigtxt, size_t sz)
{
	int v;

	g_sig = 0;
	if (sigsetjmp(g_jb, 1) == 0) {
		g_probing = 1;
		v = *p;
		g_probing = 0;
		if (sigtxt)
			sigtxt[0] = 0;
		return v;
	}
	if (sigtxt)
		snprintf(sigtxt, sz, "%s", signame(g_sig, g_code));
	return -1;
}

static int probe_write(volatile unsigned char *p, unsigned char val, char *sigtxt, size_t sz)
{
	g_sig = 0;
	if (sigsetjmp(g_jb, 1) == 0) {
		g_probing = 1;
		*p = val;
		g_probing = 0;
		if (sigtxt)
			sigtxt[0] = 0;
		return 0;
	}
	if (sigtxt)
		snprintf(sigtxt, sz, "%s", signame(g_sig, g_code));
	return -1;
}

/* ------------------------------------------------------------------ */
/* process setup: no CAP_IPC_LOCK, small RLIMIT_MEMLOCK                 */

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int bit = CAP_IPC_LOCK;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	d[bit / 32].effective &= ~(1u << (bit % 32));
	d[bit / 32].permitted &= ~(1u << (bit % 32));
	d[bit / 32].inheritable &= ~(1u << (bit % 32));
	prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0);
	return (int)syscall(SYS_capset, &h, d);
}

static int has_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	return !!(d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32)));
}

/* ------------------------------------------------------------------ */
/* /proc readers                                                       */

static long g_page = 4096;

static char *read_file(const char *path)
{
	struct sb b = { 0 };
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return NULL;
	sb_puts(&b, "");
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		sb_putn(&b, buf, r);
	close(fd);
	return b.p;
}

/* VmLck from /proc/self/status, in kB (-1 if absent) */
static long status_kb(const char *field)
{
	char *s = read_file("/proc/self/status"), *p;
	long v = -1;
	size_t fl = strlen(field);

	if (!s)
		return -1;
	for (p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, field, fl) && p[fl] == ':') {
			v = strtol(p + fl + 1, NULL, 10);
			break;
		}
	}
	free(s);
	return v;
}

struct smaps_ent {
	int found;
	unsigned long start, end;
	char perms[8];
	long size_kb, rss_kb, locked_kb, pss_kb, anon_kb, shared_clean_kb, shared_dirty_kb, private_clean_kb, private_dirty_kb;
	char vmflags[160];
	char name[160];
	long range_rss_kb;	/* Rss summed over all entries intersecting [lo, hi) */
};

/* the smaps entry containing addr; *nentries = entries intersecting [lo, hi) */
static void smaps_lookup(unsigned long addr, unsigned long lo, unsigned long hi,
			 struct smaps_ent *e, int *nentries)
{
	char *s = read_file("/proc/self/smaps"), *line, *next;
	int in = 0, cnt = 0, inr = 0;

	memset(e, 0, sizeof(*e));
	if (!s) {
		if (nentries)
			*nentries = 0;
		return;
	}
	for (line = s; line && *line; line = next) {
		unsigned long a, b;
		char perms[8];
		int n = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		/* header lines start with a lowercase hex address, field lines with "Name:" */
		if (((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) &&
		    sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perms, &n) >= 3) {
			in = 0;
			inr = a < hi && b > lo;
			if (inr)
				cnt++;
			if (addr >= a && addr < b) {
				in = 1;
				e->found = 1;
				e->start = a;
				e->end = b;
				snprintf(e->perms, sizeof(e->perms), "%s", perms);
				if (n > 0 && (size_t)n <= strlen(line)) {
					const char *nm = line + n;

					while (*nm == ' ')
						nm++;
					snprintf(e->name, sizeof(e->name), "%s", nm);
				}
			}
			continue;
		}
		if (inr && !strncmp(line, "Rss:", 4))
			e->range_rss_kb += strtol(line + 4, NULL, 10);
		if (!in)
			continue;
#define SM(tag, fld) if (!strncmp(line, tag ":", strlen(tag) + 1)) e->fld = strtol(line + strlen(tag) + 1, NULL, 10)
		SM("Size", size_kb);
		SM("Rss", rss_kb);
		SM("Pss", pss_kb);
		SM("Locked", locked_kb);
		SM("Anonymous", anon_kb);
		SM("Shared_Clean", shared_clean_kb);
		SM("Shared_Dirty", shared_dirty_kb);
		SM("Private_Clean", private_clean_kb);
		SM("Private_Dirty", private_dirty_kb);
#undef SM
		if (!strncmp(line, "VmFlags:", 8)) {
			const char *v = line + 8;
			size_t l;

			while (*v == ' ')
				v++;
			snprintf(e->vmflags, sizeof(e->vmflags), "%s", v);
			l = strlen(e->vmflags);
			while (l && e->vmflags[l - 1] == ' ')
				e->vmflags[--l] = 0;
		}
	}
	free(s);
	if (nentries)
		*nentries = cnt;
}

/*
 * /proc/self/mem: one byte at addr read into / written from *b, as ptrace and
 * debuggers do (GUP with FOLL_FORCE). Returns the byte count or -errno.
 */
static long procmem_rw(const void *addr, int write, unsigned char *b)
{
	int fd = open("/proc/self/mem", O_RDWR), e;
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write ? pwrite(fd, b, 1, (off_t)(uintptr_t)addr) : pread(fd, b, 1, (off_t)(uintptr_t)addr);
	e = errno;
	close(fd);
	return r < 0 ? -e : r;
}

/* OBS of a procmem_rw result: errno, nbytes, and for a read the byte (-1 if none) */
static void obs_procmem(const char *step, long r, int write, unsigned char b);

/* pagemap entry for a virtual address of this process */
static uint64_t pagemap_entry(unsigned long va)
{
	uint64_t v = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &v, 8, (off_t)(va / g_page) * 8) != 8)
		v = 0;
	close(fd);
	return v;
}

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)
#define PM_EXCL (1ULL << 56)
#define PM_SOFTDIRTY (1ULL << 55)
#define PM_PFN_MASK ((1ULL << 55) - 1)

static long long kpage_read(const char *path, uint64_t pfn)
{
	uint64_t v = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (pread(fd, &v, 8, (off_t)pfn * 8) != 8) {
		close(fd);
		return -1;
	}
	close(fd);
	return (long long)v;
}

static const char *const kpf_names[64] = {
	[0] = "locked", [1] = "error", [2] = "referenced", [3] = "uptodate", [4] = "dirty",
	[5] = "lru", [6] = "active", [7] = "slab", [8] = "writeback", [9] = "reclaim",
	[10] = "buddy", [11] = "mmap", [12] = "anon", [13] = "swapcache", [14] = "swapbacked",
	[15] = "compound_head", [16] = "compound_tail", [17] = "huge", [18] = "unevictable",
	[19] = "hwpoison", [20] = "nopage", [21] = "ksm", [22] = "thp", [23] = "offline",
	[24] = "zero_page", [25] = "idle", [26] = "pgtable",
	[32] = "reserved", [33] = "mlocked", [34] = "mappedtodisk", [35] = "private",
	[36] = "private_2", [37] = "owner_private", [38] = "arch", [39] = "uncached",
	[40] = "softdirty", [41] = "arch_2",
};

/* "name|name|..." for a /proc/kpageflags value; caller frees */
static char *kpf_string(long long v)
{
	struct sb b = { 0 };
	int i;

	sb_puts(&b, "");
	if (v < 0) {
		sb_puts(&b, "?");
		return b.p;
	}
	for (i = 0; i < 64; i++) {
		if (!((unsigned long long)v & (1ULL << i)))
			continue;
		if (b.n)
			sb_puts(&b, "|");
		if (kpf_names[i])
			sb_puts(&b, kpf_names[i]);
		else
			sb_printf(&b, "bit%d", i);
	}
	return b.p;
}

/* ------------------------------------------------------------------ */
/* dmesg: new records of /dev/kmsg since the last call                  */

static int g_kmsg = -1;

static void kmsg_open(void)
{
	g_kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (g_kmsg >= 0)
		lseek(g_kmsg, 0, SEEK_END);
}

/* returns count; *out = array of strings (caller frees) */
static int kmsg_drain(char ***out)
{
	char rec[8192];
	char **v = NULL;
	int n = 0;

	*out = NULL;
	if (g_kmsg < 0)
		return 0;
	for (;;) {
		ssize_t r = read(g_kmsg, rec, sizeof(rec) - 1);
		char *t, *e;

		if (r < 0) {
			if (errno == EINTR || errno == EPIPE)
				continue;
			break;
		}
		if (r == 0)
			break;
		rec[r] = 0;
		t = strchr(rec, ';');
		if (!t)
			continue;
		t++;
		e = strchr(t, '\n');
		if (e)
			*e = 0;
		/*
		 * unrelated chatter that lands at a random step: boot-time
		 * entropy messages, and TCG timing noise (a slow emulated
		 * clock or timer interrupt)
		 */
		if (!strncmp(t, "random: ", 8) || !strncmp(t, "clocksource: ", 13) || !strncmp(t, "hrtimer: ", 9))
			continue;
		v = realloc(v, sizeof(*v) * (n + 1));
		v[n++] = strdup(t);
	}
	*out = v;
	return n;
}

static void obs_dmesg(const char *step)
{
	char **v;
	int i, n = kmsg_drain(&v);

	obs_strs(step, "dmesg", v, n);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void obs_procmem(const char *step, long r, int write, unsigned char b)
{
	obs_errno(step, r < 0 ? (int)-r : 0);
	obs_int(step, "nbytes", r < 0 ? 0 : r);
	if (!write)
		obs_int(step, "value", r == 1 ? b : -1);
}

/* <prefix>found/perms/vmflags/has_rss of the smaps entry containing addr (the process's own mappings) */
static void obs_own_mapping(const char *step, const char *prefix, unsigned long addr)
{
	struct smaps_ent e;
	char key[64];

	smaps_lookup(addr, addr, addr + 1, &e, NULL);
#define K(s) (snprintf(key, sizeof(key), "%s%s", prefix, s), key)
	obs_bool(step, K("found"), e.found);
	if (e.found) {
		obs_str(step, K("perms"), e.perms);
		obs_str(step, K("vmflags"), e.vmflags);
		obs_bool(step, K("has_rss"), e.rss_kb > 0);
	}
#undef K
}

static void meta_uname(void)
{
	struct utsname u;

	if (uname(&u) == 0) {
		meta_str("kernel", u.release);
		meta_str("arch", u.machine);
	}
}

#endif
