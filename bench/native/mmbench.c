/*
 * mmbench: the user-visible memory operations DriverKit's benchmarks simulate, timed on the real kernel this
 * program runs on. Per page of a 65,536-page (256 MiB) private anonymous mapping:
 *
 *   anon-fault   mmap(MAP_PRIVATE|MAP_ANONYMOUS) then one byte written per page (do_anonymous_page)
 *   fork         fork() of a parent with the mapping resident (copy_page_range), timed in the parent
 *   cow-fault    the child writes one byte per page (do_wp_page -> wp_page_copy), timed in the child
 *   munmap       munmap() of the resident mapping (zap_pte_range + freeing)
 *   exit         exit of a child whose own mapping is resident, from the parent's write "exit" to waitpid()
 *   tlb-read     a byte read from one of 32 resident pages (hardware TLB hit; for scale only)
 *   tlb-write    a byte written to one of 32 resident, dirty pages (for scale only)
 *
 * Transparent huge pages are turned off for the mapping (MADV_NOHUGEPAGE) because the simulator has none: every
 * fault here is a 4 KiB fault, like the simulated ones. Each measurement is repeated and the median printed.
 *
 * Output: one "key ns_per_unit" line per measurement, preceded by "#" comment lines. Built by bench/run with the
 * system C compiler (gcc -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static size_t pages = 65536;
static int reps = 7;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "mmbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned char *map_anon(size_t n)
{
    unsigned char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (madvise(p, n * PAGE, MADV_NOHUGEPAGE) != 0 && errno != EINVAL)
        die("madvise(MADV_NOHUGEPAGE)");
    return p;
}

static void touch(volatile unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i * PAGE] = 1;
}

static void read_all(int fd, void *buf, size_t len)
{
    unsigned char *b = buf;
    while (len > 0) {
        ssize_t r = read(fd, b, len);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            die("read");
        }
        b += r;
        len -= (size_t)r;
    }
}

static void write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *b = buf;
    while (len > 0) {
        ssize_t r = write(fd, b, len);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            die("write");
        }
        b += r;
        len -= (size_t)r;
    }
}

/* anon-fault and munmap: fault every page in, then unmap the resident mapping. */
static void bench_fault_munmap(double *fault, double *unmap)
{
    unsigned char *p = map_anon(pages);
    double t0 = now_ns();
    touch(p, pages);
    double t1 = now_ns();
    if (munmap(p, pages * PAGE) != 0)
        die("munmap");
    double t2 = now_ns();
    *fault = (t1 - t0) / (double)pages;
    *unmap = (t2 - t1) / (double)pages;
}

/* fork with the mapping resident (timed in the parent), then the child's COW write of every page. */
static void bench_fork_cow(double *fork_ns, double *cow_ns)
{
    unsigned char *p = map_anon(pages);
    touch(p, pages);
    int go[2], back[2];
    if (pipe(go) != 0 || pipe(back) != 0)
        die("pipe");
    double t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char c;
        read_all(go[0], &c, 1);
        double c0 = now_ns();
        for (size_t i = 0; i < pages; i++)
            ((volatile unsigned char *)p)[i * PAGE] = 2;
        double c1 = now_ns();
        double per = (c1 - c0) / (double)pages;
        write_all(back[1], &per, sizeof per);
        _exit(0);
    }
    double t1 = now_ns();
    *fork_ns = (t1 - t0) / (double)pages;
    write_all(go[1], "g", 1);
    read_all(back[0], cow_ns, sizeof *cow_ns);
    if (waitpid(pid, NULL, 0) != pid)
        die("waitpid");
    close(go[0]);
    close(go[1]);
    close(back[0]);
    close(back[1]);
    munmap(p, pages * PAGE);
}

/* exit of a child with its own resident mapping: from the parent's "exit" to waitpid's return. */
static void bench_exit(double *exit_ns)
{
    int go[2], back[2];
    if (pipe(go) != 0 || pipe(back) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        unsigned char *p = map_anon(pages);
        touch(p, pages);
        write_all(back[1], "r", 1);
        char c;
        read_all(go[0], &c, 1);
        _exit(0);
    }
    char c;
    read_all(back[0], &c, 1);
    double t0 = now_ns();
    write_all(go[1], "x", 1);
    if (waitpid(pid, NULL, 0) != pid)
        die("waitpid");
    double t1 = now_ns();
    *exit_ns = (t1 - t0) / (double)pages;
    close(go[0]);
    close(go[1]);
    close(back[0]);
    close(back[1]);
}

/* Reads and writes that hit the TLB: 32 resident pages, 4,096 accesses per round. */
static void bench_tlb(double *read_ns, double *write_ns)
{
    volatile unsigned char *p = map_anon(32);
    touch(p, 32);
    const int rounds = 20000;
    unsigned sum = 0;
    double t0 = now_ns();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < 4096; i++)
            sum += p[((size_t)(i & 31) << 12) + (size_t)(i >> 5)];
    double t1 = now_ns();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < 4096; i++)
            p[((size_t)(i & 31) << 12) + (size_t)(i >> 5)] = (unsigned char)i;
    double t2 = now_ns();
    *read_ns = (t1 - t0) / (4096.0 * rounds);
    *write_ns = (t2 - t1) / (4096.0 * rounds);
    if (sum == 12345)
        puts("#");
    munmap((void *)p, 32 * PAGE);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pages") && i + 1 < argc)
            pages = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: mmbench [--pages N] [--reps N]\n");
            return 2;
        }
    }
    if (pages == 0 || reps < 1 || reps > 1000) {
        fprintf(stderr, "mmbench: bad --pages or --reps\n");
        return 2;
    }

    struct utsname u;
    uname(&u);
    printf("# mmbench: %zu pages (%zu MiB) per run, median of %d runs, kernel %s %s, THP off for the mappings\n",
           pages, pages * PAGE >> 20, reps, u.sysname, u.release);

    double *fault = calloc((size_t)reps, sizeof(double)), *unmap = calloc((size_t)reps, sizeof(double));
    double *fk = calloc((size_t)reps, sizeof(double)), *cow = calloc((size_t)reps, sizeof(double));
    double *ex = calloc((size_t)reps, sizeof(double)), *rd = calloc((size_t)reps, sizeof(double));
    double *wr = calloc((size_t)reps, sizeof(double));
    if (!fault || !unmap || !fk || !cow || !ex || !rd || !wr)
        die("calloc");

    /* One untimed round first: page tables, libc and the page allocator's lists warm. */
    double scratch, scratch2;
    bench_fault_munmap(&scratch, &scratch2);
    bench_fork_cow(&scratch, &scratch2);
    for (int r = 0; r < reps; r++) {
        bench_fault_munmap(&fault[r], &unmap[r]);
        bench_fork_cow(&fk[r], &cow[r]);
        bench_exit(&ex[r]);
        bench_tlb(&rd[r], &wr[r]);
    }

    printf("anon-fault %.2f\n", median(fault, reps));
    printf("fork %.2f\n", median(fk, reps));
    printf("cow-fault %.2f\n", median(cow, reps));
    printf("munmap %.2f\n", median(unmap, reps));
    printf("exit %.2f\n", median(ex, reps));
    printf("tlb-read %.3f\n", median(rd, reps));
    printf("tlb-write %.3f\n", median(wr, reps));
    return 0;
}
