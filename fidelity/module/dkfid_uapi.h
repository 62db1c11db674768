/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dkfid_uapi.h - ioctl interface of the DriverKit fidelity test module.
 * Shared by module/dkfid.c (kernel) and user/dkfid-test.c (user space).
 * See fidelity/SCENARIOS.md for what each mode does.
 */
#ifndef DKFID_UAPI_H
#define DKFID_UAPI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define DKFID_MAXPAGES 16		/* order 4 */

/* mmap behaviour, chosen by DKFID_SETUP before mmap */
enum dkfid_mode {
	DKFID_MODE_NONE = 0,
	DKFID_MODE_INSERT_PAGE = 1,	/* ->mmap: vm_insert_page() per page        */
	DKFID_MODE_REMAP = 2,		/* ->mmap: one remap_pfn_range() of buffer  */
	DKFID_MODE_FAULT_GET = 3,	/* ->fault: get_page(); vmf->page = p       */
	DKFID_MODE_FAULT_NOGET = 4,	/* ->fault: vmf->page = p (no reference)    */
	DKFID_MODE_INSERT_PFN = 5,	/* VM_PFNMAP|VM_IO, ->fault: vmf_insert_pfn */
	DKFID_MODE_INSERT_MIXED = 6,	/* VM_MIXEDMAP, ->fault: vmf_insert_mixed   */
	DKFID_MODE_FAULT_MKWRITE = 7,	/* as FAULT_GET plus ->page_mkwrite (write-notify): counts, lock_page, VM_FAULT_LOCKED */
};

/* extra vma flags the driver's ->mmap ORs into vm_flags (dkfid encoding) */
#define DKFID_VMF_LOCKED	0x01
#define DKFID_VMF_IO		0x02
#define DKFID_VMF_DONTEXPAND	0x04
#define DKFID_VMF_DONTDUMP	0x08
#define DKFID_VMF_DONTCOPY	0x10

/* buffer / driver options */
#define DKFID_BUF_NOSPLIT	0x01	/* one non-compound order-N block, no split_page(); freed with __free_pages(head, N) */
#define DKFID_BUF_RESERVE	0x02	/* SetPageReserved() on every page after allocation */
#define DKFID_BUF_CLEAR		0x04	/* ClearPageReserved() on every page before the free */
#define DKFID_BUF_CLOSE_ONLY	0x08	/* vm_ops = { .close } only; ->mmap does maps++; .close does maps-- and frees the buffer at 0 */
#define DKFID_BUF_FAULT_FAIL	0x10	/* every ->fault returns VM_FAULT_SIGBUS (counted in faults) */

struct dkfid_setup {
	__u32 mode;		/* enum dkfid_mode */
	__u32 vmflags;		/* DKFID_VMF_* */
	__u32 npages;		/* power of two, 1..DKFID_MAXPAGES */
	__u32 bufflags;		/* DKFID_BUF_* */
	__u32 guard;		/* extra references the driver takes on each page (split buffers only) */
	__u32 pad;
};

/* struct page state as seen by the module */
#define DKFID_PF_LOCKED		(1u << 0)
#define DKFID_PF_RESERVED	(1u << 1)
#define DKFID_PF_LRU		(1u << 2)
#define DKFID_PF_DIRTY		(1u << 3)
#define DKFID_PF_REFERENCED	(1u << 4)
#define DKFID_PF_UPTODATE	(1u << 5)
#define DKFID_PF_ANON		(1u << 6)
#define DKFID_PF_SWAPBACKED	(1u << 7)
#define DKFID_PF_HEAD		(1u << 8)
#define DKFID_PF_TAIL		(1u << 9)
#define DKFID_PF_BUDDY		(1u << 10)
#define DKFID_PF_SLAB		(1u << 11)
#define DKFID_PF_MLOCKED	(1u << 12)
#define DKFID_PF_UNEVICTABLE	(1u << 13)
#define DKFID_PF_ACTIVE		(1u << 14)
#define DKFID_PF_PRIVATE	(1u << 15)
#define DKFID_PF_MAPPING	(1u << 16)	/* page->mapping != NULL */
#define DKFID_PF_WRITEBACK	(1u << 17)
#define DKFID_PF_INBUDDY	(1u << 18)	/* pfn lies inside a free buddy block (PageBuddy head of order >= distance) */

struct dkfid_pstate {
	__u64 pfn;
	__s32 refcount;		/* page_ref_count() */
	__s32 mapcount;		/* _mapcount + 1 (0 for typed pages, e.g. buddy) */
	__u32 flags;		/* DKFID_PF_* */
	__u32 pad;
};

struct dkfid_query {
	__u32 npages;		/* 0: no buffer was ever set up */
	__u32 freed;		/* buffer has been freed by the driver */
	__s32 maps;		/* CLOSE_ONLY map counter */
	__u32 vm_open;		/* vm_ops->open calls */
	__u32 vm_close;		/* vm_ops->close calls */
	__u32 faults;		/* vm_ops->fault calls */
	__s64 last_fault_pgoff;	/* -1 if none */
	__u32 mmaps;		/* successful ->mmap calls */
	__u32 mmap_calls;	/* all ->mmap calls */
	__s32 mmap_err;		/* return value of the last ->mmap */
	__u32 pad;
	struct dkfid_pstate p[DKFID_MAXPAGES];
	__s32 rel_refcount[DKFID_MAXPAGES];	/* refcount seen just before the driver's final puts (-1: not freed yet) */
	__u32 mkwrite;		/* vm_ops->page_mkwrite calls */
	__u32 pad2;
};

#define DKFID_GUP_GUP		0	/* get_user_pages() under mmap_read_lock, put_page() */
#define DKFID_GUP_PIN		1	/* pin_user_pages() under mmap_read_lock, unpin_user_pages() */
#define DKFID_GUP_GUP_FAST	2	/* get_user_pages_fast(), put_page() */

struct dkfid_gup {
	__u64 addr;
	__u32 npages;
	__u32 method;		/* DKFID_GUP_* */
	__u32 write;		/* FOLL_WRITE */
	__s32 ret;		/* return value (count or -errno) */
	struct dkfid_pstate held[DKFID_MAXPAGES];	/* while the references/pins are held */
	struct dkfid_pstate after[DKFID_MAXPAGES];	/* after put/unpin */
};

struct dkfid_resfree {
	__u32 order;		/* 0..4 */
	__u32 clear;		/* ClearPageReserved before __free_pages */
	__u64 pfn;		/* head pfn */
	struct dkfid_pstate before[DKFID_MAXPAGES];	/* after SetPageReserved (and the clear), before the free */
	struct dkfid_pstate after[DKFID_MAXPAGES];	/* right after __free_pages(page, order) */
	__u32 probe_reused;	/* an immediate alloc_pages(order) returned the same head page */
	__u32 pad;
};

struct dkfid_rdb {
	__u32 index;		/* page index in the buffer */
	__u32 offset;		/* byte offset */
	__u32 value;		/* out */
	__s32 err;		/* out: 0, or -ENXIO if the buffer is freed */
};

#define DKFID_IOC_MAGIC 'k'
#define DKFID_SETUP	_IOW(DKFID_IOC_MAGIC, 1, struct dkfid_setup)
#define DKFID_QUERY	_IOR(DKFID_IOC_MAGIC, 2, struct dkfid_query)
#define DKFID_GUP	_IOWR(DKFID_IOC_MAGIC, 3, struct dkfid_gup)
#define DKFID_RESFREE	_IOWR(DKFID_IOC_MAGIC, 4, struct dkfid_resfree)
#define DKFID_READB	_IOWR(DKFID_IOC_MAGIC, 5, struct dkfid_rdb)
#define DKFID_FREEBUF	_IO(DKFID_IOC_MAGIC, 6)

#endif
