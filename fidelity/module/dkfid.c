// SPDX-License-Identifier: GPL-2.0
/*
 * dkfid - DriverKit fidelity test module.
 *
 * A misc character device (/dev/dkfid) whose mmap behaviour is chosen with
 * the DKFID_SETUP ioctl before mmap(). It owns one buffer of driver pages at a
 * time and reports the struct page state (refcount, mapcount, flags, pfn) of
 * every page on request, so that a user-space program can record what the
 * real kernel does at each step of a scenario. See fidelity/SCENARIOS.md.
 *
 * This module deliberately implements broken driver patterns (a ->fault
 * handler without get_page, PG_reserved left set at free, .close without
 * .open). It is meant to run only inside a throw-away virtual machine.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/gfp.h>
#include <linux/pfn_t.h>
#include <linux/page_ref.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/log2.h>
#include "dkfid_uapi.h"

struct dkfid_state {
	struct mutex lock;
	/* the buffer */
	struct page *pages[DKFID_MAXPAGES];
	unsigned int npages;
	unsigned int order;
	u32 bufflags;
	u32 guard;
	bool allocated;
	bool freed;
	s32 rel_refcount[DKFID_MAXPAGES];
	/* the mmap behaviour */
	u32 mode;
	u32 vmflags;
	struct file *owner;
	/* counters */
	atomic_t maps;
	atomic_t vm_open;
	atomic_t vm_close;
	atomic_t faults;
	atomic_t mkwrite;
	atomic64_t last_fault_pgoff;
	atomic_t mmaps;
	atomic_t mmap_calls;
	atomic_t mmap_err;
};

static struct dkfid_state st;

static inline void dk_vm_flags_set(struct vm_area_struct *vma, unsigned long f)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, f);
#else
	vma->vm_flags |= f;
#endif
}

/* ------------------------------------------------------------------ */
/* struct page inspection                                              */

static bool dk_pfn_in_buddy(unsigned long pfn)
{
	int o;

	for (o = 0; o < MAX_ORDER; o++) {
		unsigned long h = pfn & ~((1UL << o) - 1);
		struct page *p;

		if (!pfn_valid(h))
			break;
		p = pfn_to_page(h);
		if (PageBuddy(p) && page_private(p) >= (unsigned long)o)
			return true;
	}
	return false;
}

static void dk_pstate(struct page *p, struct dkfid_pstate *s)
{
	unsigned long fl = READ_ONCE(p->flags);
	u32 f = 0;

	memset(s, 0, sizeof(*s));
	s->pfn = page_to_pfn(p);
	s->refcount = page_ref_count(p);
	s->mapcount = page_has_type(p) ? 0 : atomic_read(&p->_mapcount) + 1;
	if (fl & (1UL << PG_locked))
		f |= DKFID_PF_LOCKED;
	if (fl & (1UL << PG_reserved))
		f |= DKFID_PF_RESERVED;
	if (fl & (1UL << PG_lru))
		f |= DKFID_PF_LRU;
	if (fl & (1UL << PG_dirty))
		f |= DKFID_PF_DIRTY;
	if (fl & (1UL << PG_referenced))
		f |= DKFID_PF_REFERENCED;
	if (fl & (1UL << PG_uptodate))
		f |= DKFID_PF_UPTODATE;
	if (fl & (1UL << PG_swapbacked))
		f |= DKFID_PF_SWAPBACKED;
	if (fl & (1UL << PG_head))
		f |= DKFID_PF_HEAD;
	if (fl & (1UL << PG_slab))
		f |= DKFID_PF_SLAB;
	if (fl & (1UL << PG_mlocked))
		f |= DKFID_PF_MLOCKED;
	if (fl & (1UL << PG_unevictable))
		f |= DKFID_PF_UNEVICTABLE;
	if (fl & (1UL << PG_active))
		f |= DKFID_PF_ACTIVE;
	if (fl & (1UL << PG_private))
		f |= DKFID_PF_PRIVATE;
	if (fl & (1UL << PG_writeback))
		f |= DKFID_PF_WRITEBACK;
	if (READ_ONCE(p->compound_head) & 1)
		f |= DKFID_PF_TAIL;
	if (PageBuddy(p))
		f |= DKFID_PF_BUDDY;
	if (READ_ONCE(p->mapping)) {
		f |= DKFID_PF_MAPPING;
		if ((unsigned long)READ_ONCE(p->mapping) & PAGE_MAPPING_ANON)
			f |= DKFID_PF_ANON;
	}
	if (dk_pfn_in_buddy(s->pfn))
		f |= DKFID_PF_INBUDDY;
	s->flags = f;
}

/* ------------------------------------------------------------------ */
/* the buffer                                                          */

/* caller holds st.lock or is the .close path of a CLOSE_ONLY mapping */
static void dk_buf_free(void)
{
	unsigned int i;

	if (!st.allocated || st.freed)
		return;
	for (i = 0; i < st.npages; i++)
		st.rel_refcount[i] = page_ref_count(st.pages[i]);
	if (st.bufflags & DKFID_BUF_NOSPLIT) {
		if ((st.bufflags & DKFID_BUF_RESERVE) && (st.bufflags & DKFID_BUF_CLEAR))
			for (i = 0; i < st.npages; i++)
				ClearPageReserved(st.pages[i]);
		__free_pages(st.pages[0], st.order);
	} else {
		for (i = 0; i < st.npages; i++) {
			struct page *p = st.pages[i];
			int rc = page_ref_count(p);

			if ((st.bufflags & DKFID_BUF_RESERVE) && (st.bufflags & DKFID_BUF_CLEAR))
				ClearPageReserved(p);
			/*
			 * No user mapping is left when the buffer is freed from
			 * ->release, so every remaining reference belongs to the
			 * driver: the owner reference, the guard references, or
			 * fewer if an unbalanced ->fault let the VM drop some.
			 * A page already at 0 was freed by the VM: leave it.
			 */
			if (rc <= 0)
				continue;
			if (rc > 1 && st.guard)
				page_ref_sub(p, min_t(int, rc - 1, st.guard));
			__free_page(p);
		}
	}
	st.freed = true;
}

static int dk_buf_alloc(const struct dkfid_setup *su)
{
	struct page *page;
	unsigned int i, n = su->npages;

	if (n == 0 || n > DKFID_MAXPAGES || !is_power_of_2(n))
		return -EINVAL;
	if (su->mode > DKFID_MODE_FAULT_MKWRITE)
		return -EINVAL;
	if (su->guard && (su->bufflags & DKFID_BUF_NOSPLIT))
		return -EINVAL;
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, ilog2(n));
	if (!page)
		return -ENOMEM;
	if (!(su->bufflags & DKFID_BUF_NOSPLIT))
		split_page(page, ilog2(n));
	memset(st.pages, 0, sizeof(st.pages));
	for (i = 0; i < n; i++) {
		st.pages[i] = page + i;
		/* marker: byte 0 of page i is 'A' + i */
		*(u8 *)page_address(page + i) = 'A' + i;
		st.rel_refcount[i] = -1;
	}
	for (; i < DKFID_MAXPAGES; i++)
		st.rel_refcount[i] = -1;
	if (su->bufflags & DKFID_BUF_RESERVE)
		for (i = 0; i < n; i++)
			SetPageReserved(st.pages[i]);
	if (su->guard)
		for (i = 0; i < n; i++)
			page_ref_add(st.pages[i], su->guard);
	st.npages = n;
	st.order = ilog2(n);
	st.bufflags = su->bufflags;
	st.guard = su->guard;
	st.mode = su->mode;
	st.vmflags = su->vmflags;
	st.allocated = true;
	st.freed = false;
	atomic_set(&st.maps, 0);
	atomic_set(&st.vm_open, 0);
	atomic_set(&st.vm_close, 0);
	atomic_set(&st.faults, 0);
	atomic_set(&st.mkwrite, 0);
	atomic64_set(&st.last_fault_pgoff, -1);
	atomic_set(&st.mmaps, 0);
	atomic_set(&st.mmap_calls, 0);
	atomic_set(&st.mmap_err, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* vm operations                                                       */

static void dk_vm_open(struct vm_area_struct *vma)
{
	atomic_inc(&st.vm_open);
}

static void dk_vm_close(struct vm_area_struct *vma)
{
	atomic_inc(&st.vm_close);
}

/* DKMM018-B: a vma-counting driver without .open */
static void dk_vm_close_counting(struct vm_area_struct *vma)
{
	atomic_inc(&st.vm_close);
	if (atomic_dec_return(&st.maps) == 0)
		dk_buf_free();
}

static struct page *dk_fault_page(struct vm_fault *vmf)
{
	atomic_inc(&st.faults);
	atomic64_set(&st.last_fault_pgoff, vmf->pgoff);
	if (!st.allocated || st.freed || vmf->pgoff >= st.npages)
		return NULL;
	if (st.bufflags & DKFID_BUF_FAULT_FAIL)
		return NULL;
	return st.pages[vmf->pgoff];
}

static vm_fault_t dk_fault_get(struct vm_fault *vmf)
{
	struct page *p = dk_fault_page(vmf);

	if (!p)
		return VM_FAULT_SIGBUS;
	get_page(p);
	vmf->page = p;
	return 0;
}

/*
 * Write-notify: a shared writable mapping whose vm_ops has page_mkwrite gets
 * write-protected PTEs (vma_wants_writenotify), so the first write to a page
 * that was mapped by a read fault calls this. The page has no ->mapping, so it
 * must come back locked (VM_FAULT_LOCKED): do_page_mkwrite would otherwise
 * see !page->mapping and retry the fault forever.
 */
static vm_fault_t dk_page_mkwrite(struct vm_fault *vmf)
{
	atomic_inc(&st.mkwrite);
	lock_page(vmf->page);
	return VM_FAULT_LOCKED;
}

static vm_fault_t dk_fault_noget(struct vm_fault *vmf)
{
	struct page *p = dk_fault_page(vmf);

	if (!p)
		return VM_FAULT_SIGBUS;
	vmf->page = p;		/* DKMM012: no get_page() */
	return 0;
}

static vm_fault_t dk_fault_pfn(struct vm_fault *vmf)
{
	struct page *p = dk_fault_page(vmf);

	if (!p)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address, page_to_pfn(p));
}

static vm_fault_t dk_fault_mixed(struct vm_fault *vmf)
{
	struct page *p = dk_fault_page(vmf);

	if (!p)
		return VM_FAULT_SIGBUS;
	return vmf_insert_mixed(vmf->vma, vmf->address, pfn_to_pfn_t(page_to_pfn(p)));
}

static const struct vm_operations_struct dk_ops_plain = {
	.open = dk_vm_open,
	.close = dk_vm_close,
};

static const struct vm_operations_struct dk_ops_close_only = {
	.close = dk_vm_close_counting,
};

static const struct vm_operations_struct dk_ops_fault_get = {
	.open = dk_vm_open,
	.close = dk_vm_close,
	.fault = dk_fault_get,
};

static const struct vm_operations_struct dk_ops_mkwrite = {
	.open = dk_vm_open,
	.close = dk_vm_close,
	.fault = dk_fault_get,
	.page_mkwrite = dk_page_mkwrite,
};

static const struct vm_operations_struct dk_ops_fault_noget = {
	.open = dk_vm_open,
	.close = dk_vm_close,
	.fault = dk_fault_noget,
};

static const struct vm_operations_struct dk_ops_pfn = {
	.open = dk_vm_open,
	.close = dk_vm_close,
	.fault = dk_fault_pfn,
};

static const struct vm_operations_struct dk_ops_mixed = {
	.open = dk_vm_open,
	.close = dk_vm_close,
	.fault = dk_fault_mixed,
};

/* ------------------------------------------------------------------ */
/* file operations                                                     */

static int dk_mmap_inner(struct vm_area_struct *vma)
{
	unsigned long n = vma_pages(vma), off = vma->vm_pgoff, i;
	unsigned long extra = 0;
	int ret = 0;

	if (!st.allocated || st.freed)
		return -ENXIO;
	if (off >= st.npages || n > st.npages - off)
		return -EINVAL;

	if (st.vmflags & DKFID_VMF_LOCKED)
		extra |= VM_LOCKED;
	if (st.vmflags & DKFID_VMF_IO)
		extra |= VM_IO;
	if (st.vmflags & DKFID_VMF_DONTEXPAND)
		extra |= VM_DONTEXPAND;
	if (st.vmflags & DKFID_VMF_DONTDUMP)
		extra |= VM_DONTDUMP;
	if (st.vmflags & DKFID_VMF_DONTCOPY)
		extra |= VM_DONTCOPY;
	if (st.mode == DKFID_MODE_INSERT_PFN) {
		/* vmf_insert_pfn() BUG()s on a COW PFNMAP vma: refuse it */
		if (is_cow_mapping(vma->vm_flags))
			return -EINVAL;
		extra |= VM_PFNMAP | VM_IO;
	}
	if (st.mode == DKFID_MODE_INSERT_MIXED)
		extra |= VM_MIXEDMAP;
	if (extra)
		dk_vm_flags_set(vma, extra);

	switch (st.mode) {
	case DKFID_MODE_INSERT_PAGE:
		vma->vm_ops = (st.bufflags & DKFID_BUF_CLOSE_ONLY) ? &dk_ops_close_only : &dk_ops_plain;
		for (i = 0; i < n; i++) {
			ret = vm_insert_page(vma, vma->vm_start + (i << PAGE_SHIFT), st.pages[off + i]);
			if (ret)
				break;
		}
		break;
	case DKFID_MODE_REMAP:
		vma->vm_ops = (st.bufflags & DKFID_BUF_CLOSE_ONLY) ? &dk_ops_close_only : &dk_ops_plain;
		ret = remap_pfn_range(vma, vma->vm_start, page_to_pfn(st.pages[off]),
				      n << PAGE_SHIFT, vma->vm_page_prot);
		break;
	case DKFID_MODE_FAULT_GET:
		vma->vm_ops = &dk_ops_fault_get;
		break;
	case DKFID_MODE_FAULT_NOGET:
		vma->vm_ops = &dk_ops_fault_noget;
		break;
	case DKFID_MODE_FAULT_MKWRITE:
		vma->vm_ops = &dk_ops_mkwrite;
		break;
	case DKFID_MODE_INSERT_PFN:
		vma->vm_ops = &dk_ops_pfn;
		break;
	case DKFID_MODE_INSERT_MIXED:
		vma->vm_ops = &dk_ops_mixed;
		break;
	default:
		return -EINVAL;
	}
	if (!ret && (st.bufflags & DKFID_BUF_CLOSE_ONLY))
		atomic_inc(&st.maps);
	return ret;
}

static int dk_mmap(struct file *f, struct vm_area_struct *vma)
{
	int ret;

	atomic_inc(&st.mmap_calls);
	ret = dk_mmap_inner(vma);
	atomic_set(&st.mmap_err, ret);
	if (!ret)
		atomic_inc(&st.mmaps);
	return ret;
}

static long dk_ioc_query(void __user *arg)
{
	struct dkfid_query *q;
	unsigned int i;
	long ret = 0;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	mutex_lock(&st.lock);
	if (st.allocated) {
		q->npages = st.npages;
		q->freed = st.freed;
		q->maps = atomic_read(&st.maps);
		q->vm_open = atomic_read(&st.vm_open);
		q->vm_close = atomic_read(&st.vm_close);
		q->faults = atomic_read(&st.faults);
		q->mkwrite = atomic_read(&st.mkwrite);
		q->last_fault_pgoff = atomic64_read(&st.last_fault_pgoff);
		q->mmaps = atomic_read(&st.mmaps);
		q->mmap_calls = atomic_read(&st.mmap_calls);
		q->mmap_err = atomic_read(&st.mmap_err);
		for (i = 0; i < st.npages; i++)
			dk_pstate(st.pages[i], &q->p[i]);
	}
	for (i = 0; i < DKFID_MAXPAGES; i++)
		q->rel_refcount[i] = st.allocated ? st.rel_refcount[i] : -1;
	mutex_unlock(&st.lock);
	if (copy_to_user(arg, q, sizeof(*q)))
		ret = -EFAULT;
	kfree(q);
	return ret;
}

static long dk_ioc_gup(void __user *arg)
{
	struct dkfid_gup *g;
	struct page *pages[DKFID_MAXPAGES];
	unsigned int flags, i;
	long ret = 0, n;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	if (copy_from_user(g, arg, sizeof(*g))) {
		kfree(g);
		return -EFAULT;
	}
	if (g->npages == 0 || g->npages > DKFID_MAXPAGES || g->method > DKFID_GUP_GUP_FAST) {
		kfree(g);
		return -EINVAL;
	}
	flags = g->write ? FOLL_WRITE : 0;
	memset(pages, 0, sizeof(pages));
	if (g->method == DKFID_GUP_GUP_FAST) {
		n = get_user_pages_fast(g->addr, g->npages, flags, pages);
	} else {
		mmap_read_lock(current->mm);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
		if (g->method == DKFID_GUP_PIN)
			n = pin_user_pages(g->addr, g->npages, flags, pages);
		else
			n = get_user_pages(g->addr, g->npages, flags, pages);
#else
		if (g->method == DKFID_GUP_PIN)
			n = pin_user_pages(g->addr, g->npages, flags, pages, NULL);
		else
			n = get_user_pages(g->addr, g->npages, flags, pages, NULL);
#endif
		mmap_read_unlock(current->mm);
	}
	g->ret = n;
	if (n > 0) {
		for (i = 0; i < n; i++)
			dk_pstate(pages[i], &g->held[i]);
		if (g->method == DKFID_GUP_PIN)
			unpin_user_pages(pages, n);
		else
			for (i = 0; i < n; i++)
				put_page(pages[i]);
		/*
		 * The pages are still mapped by the caller (it did not unmap
		 * them in between), so reading their struct page is safe.
		 */
		for (i = 0; i < n; i++)
			dk_pstate(pages[i], &g->after[i]);
	}
	if (copy_to_user(arg, g, sizeof(*g)))
		ret = -EFAULT;
	kfree(g);
	return ret;
}

static long dk_ioc_resfree(void __user *arg)
{
	struct dkfid_resfree *r;
	struct page *page, *probe;
	unsigned int i, n;
	long ret = 0;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	if (copy_from_user(r, arg, sizeof(*r))) {
		kfree(r);
		return -EFAULT;
	}
	if (r->order > 4) {
		kfree(r);
		return -EINVAL;
	}
	n = 1U << r->order;
	/* a plain (non-compound) high-order allocation, as drivers used to do */
	page = alloc_pages(GFP_KERNEL, r->order);
	if (!page) {
		kfree(r);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		SetPageReserved(page + i);
	if (r->clear)
		for (i = 0; i < n; i++)
			ClearPageReserved(page + i);
	for (i = 0; i < n; i++)
		dk_pstate(page + i, &r->before[i]);
	r->pfn = page_to_pfn(page);
	__free_pages(page, r->order);
	for (i = 0; i < n; i++)
		dk_pstate(page + i, &r->after[i]);
	/* per-cpu lists are LIFO: a freed block comes straight back */
	probe = alloc_pages(GFP_KERNEL, r->order);
	r->probe_reused = (probe == page);
	if (probe)
		__free_pages(probe, r->order);
	if (copy_to_user(arg, r, sizeof(*r)))
		ret = -EFAULT;
	kfree(r);
	return ret;
}

static long dk_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	long ret = 0;

	switch (cmd) {
	case DKFID_SETUP: {
		struct dkfid_setup su;

		if (copy_from_user(&su, uarg, sizeof(su)))
			return -EFAULT;
		mutex_lock(&st.lock);
		dk_buf_free();
		ret = dk_buf_alloc(&su);
		if (!ret)
			st.owner = f;
		mutex_unlock(&st.lock);
		return ret;
	}
	case DKFID_QUERY:
		return dk_ioc_query(uarg);
	case DKFID_GUP:
		return dk_ioc_gup(uarg);
	case DKFID_RESFREE:
		return dk_ioc_resfree(uarg);
	case DKFID_READB: {
		struct dkfid_rdb r;

		if (copy_from_user(&r, uarg, sizeof(r)))
			return -EFAULT;
		mutex_lock(&st.lock);
		if (!st.allocated || st.freed) {
			r.err = -ENXIO;
		} else if (r.index >= st.npages || r.offset >= PAGE_SIZE) {
			ret = -EINVAL;
		} else {
			r.value = ((u8 *)page_address(st.pages[r.index]))[r.offset];
			r.err = 0;
		}
		mutex_unlock(&st.lock);
		if (!ret && copy_to_user(uarg, &r, sizeof(r)))
			ret = -EFAULT;
		return ret;
	}
	case DKFID_FREEBUF:
		mutex_lock(&st.lock);
		dk_buf_free();
		mutex_unlock(&st.lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

static int dk_release(struct inode *inode, struct file *f)
{
	mutex_lock(&st.lock);
	if (st.owner == f) {
		dk_buf_free();
		st.owner = NULL;
	}
	mutex_unlock(&st.lock);
	return 0;
}

static const struct file_operations dk_fops = {
	.owner = THIS_MODULE,
	.mmap = dk_mmap,
	.unlocked_ioctl = dk_ioctl,
	.release = dk_release,
	.llseek = noop_llseek,
};

static struct miscdevice dk_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dkfid",
	.fops = &dk_fops,
	.mode = 0666,
};

static int __init dk_init(void)
{
	mutex_init(&st.lock);
	atomic64_set(&st.last_fault_pgoff, -1);
	return misc_register(&dk_misc);
}

static void __exit dk_exit(void)
{
	misc_deregister(&dk_misc);
	mutex_lock(&st.lock);
	dk_buf_free();
	mutex_unlock(&st.lock);
}

module_init(dk_init);
module_exit(dk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DriverKit fidelity oracle: driver mmap patterns for user-space observation");
