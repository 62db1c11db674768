using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private readonly Dictionary<string, CharDevice> devices = new(StringComparer.Ordinal);

    // Every device a module registered since it was (re)loaded, by owner id: what rmmod checks and accounts.
    private readonly Dictionary<int, List<CharDevice>> modules = new();
    private int nextMappingId = 1;

    /// <summary>The registered character devices by path (the /dev nodes of <see cref="RegisterChrdev"/>).</summary>
    public IReadOnlyDictionary<string, CharDevice> Devices => devices;

    /// <summary>
    /// fs/char_dev.c: register_chrdev (+ the device node): makes <paramref name="fops"/> reachable at
    /// <paramref name="path"/>. Pages the driver allocates in its callbacks are owned by <see cref="FileOperations.Owner"/>.
    /// </summary>
    /// <remarks>
    /// The module owns what its code allocated before registering (module_init): pages, vmalloc areas, kmalloc
    /// objects and MMIO windows allocated from the registering source file are attributed to the driver.
    /// </remarks>
    /// <param name="path">The device path, e.g. "/dev/scullp".</param>
    /// <param name="fops">The driver's file operations.</param>
    /// <param name="file">Filled in by the compiler: the registering source file.</param>
    /// <exception cref="ArgumentException">The path is taken or empty.</exception>
    public CharDevice RegisterChrdev(string path, FileOperations fops, [CallerFilePath] string file = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(fops);
        if (string.IsNullOrEmpty(fops.Owner))
        {
            throw new ArgumentException("FileOperations.Owner must name the driver's module", nameof(fops));
        }
        if (devices.ContainsKey(path))
        {
            throw new ArgumentException($"{path} is already registered (-EBUSY)", nameof(path));
        }

        var device = new CharDevice(path, fops, Sites.Owner(fops.Owner));
        device.Inode = new Inode(this, path, nextMappingId++, device);
        if (file.Length > 0)
        {
            AdoptOwner(Sites.Owner(Path.GetFileNameWithoutExtension(file)), device.Owner);
        }

        devices.Add(path, device);
        if (IsUnloaded(device.Owner))
        {
            // insmod again: a fresh module of the same name.
            NoteLoaded(device.Owner);
            modules.Remove(device.Owner);
        }

        if (!modules.TryGetValue(device.Owner, out var nodes))
        {
            modules.Add(device.Owner, nodes = new List<CharDevice>());
        }

        nodes.Add(device);
        return device;
    }

    /// <summary>
    /// fs/char_dev.c: unregister_chrdev — the node disappears, so no new open finds it; files already open keep working (the cdev stays
    /// referenced by them). Leak accounting belongs to module unload (<see cref="UnloadModule"/>), not to this.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <exception cref="ArgumentException">The device is not registered.</exception>
    public void UnregisterChrdev(CharDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireMine(device.Inode.Kernel, "the device", nameof(device));
        if (!device.Registered || !devices.Remove(device.Path))
        {
            throw new ArgumentException($"{device.Path} is not registered", nameof(device));
        }

        device.Registered = false;
    }

    /// <summary>
    /// kernel/module/main.c: delete_module — rmmod of the module named by <see cref="FileOperations.Owner"/>. -ENOENT for
    /// a module that registered no device or is already gone; -EBUSY while a file of one of its devices is open (every
    /// struct file pins fops-&gt;owner, and every mapping holds its file). Otherwise the module is gone: a device it left
    /// registered is reported (INV-18), and what it still holds is leak-accounted — one INV-20 report listing every page
    /// of every block it still owns (a page only user PTEs or pins keep alive is not the module's leak).
    /// </summary>
    /// <param name="module">The module's name (the devices' <see cref="FileOperations.Owner"/>).</param>
    public SysResult UnloadModule(string module)
    {
        ArgumentException.ThrowIfNullOrEmpty(module);
        var owner = Sites.Owner(module);
        if (!modules.TryGetValue(owner, out var nodes) || IsUnloaded(owner))
        {
            return SysResult.Error(Errno.ENOENT);
        }

        if (nodes.Any(d => d.OpenFiles > 0))
        {
            return SysResult.Error(Errno.EBUSY);
        }

        foreach (var device in nodes.Where(d => d.Registered))
        {
            devices.Remove(device.Path);
            device.Registered = false;
            Checker.ReportStillRegistered(device);
        }

        NoteUnloaded(owner);
        CheckCoherentLeaks(owner, $"module {module} unloaded");
        Checker.CheckModuleUnload(owner);
        return new SysResult(0);
    }

    /// <summary>Re-attributes everything owned by <paramref name="from"/> (a module's init code) to the driver <paramref name="to"/>.</summary>
    private void AdoptOwner(int from, int to)
    {
        if (from == to)
        {
            return;
        }

        Sites.Alias(from, to);
        for (var p = 0; p < Mem.Count; p++)
        {
            if (!IsFreeFrame(p) && Mem.OwnerOrNext[p] == from)
            {
                Mem.OwnerOrNext[p] = to;
            }
        }

        foreach (var region in mmio.Where(r => r.Owner == from))
        {
            region.Owner = to;
        }

        VmallocSpace.Adopt(from, to);
        Slab.Adopt(from, to);
    }

    /// <summary>do_sys_open of a device node: the driver's -&gt;open runs in its context.</summary>
    internal SysResult OpenPath(Process p, string? path, OpenFlags flags)
    {
        if (path is null)
        {
            // getname(NULL): the user pointer faults.
            return SysResult.Error(Errno.EFAULT);
        }

        if (!devices.TryGetValue(path, out var device))
        {
            return SysResult.Error(Errno.ENOENT);
        }

        var mode = (flags & (OpenFlags.WriteOnly | OpenFlags.ReadWrite)) switch
        {
            OpenFlags.WriteOnly => FMode.Write,
            OpenFlags.ReadWrite => FMode.Read | FMode.Write,
            _ => FMode.Read,
        };
        var file = new OpenFile(device.Inode, mode, flags);
        if (device.Fops.Open is { } open)
        {
            var ret = CallDriver(device.Owner, ContextKind.Open, null, () => open(device.Inode, file));

            if (ret != 0)
            {
                return SysResult.Error(ret < 0 ? -ret : Errno.EINVAL);
            }

            if (p.State != ProcessState.Running)
            {
                // The task exited from inside ->open: nothing to install the file into; ->release balances ->open.
                if (device.Fops.Release is { } release)
                {
                    CallDriver(device.Owner, ContextKind.Release, null, () => release(device.Inode, file));
                }

                return SysResult.Error(Errno.ESRCH);
            }
        }

        device.OpenFiles++;
        return new SysResult(p.InstallFd(file));
    }

    /// <summary>fs/file_table.c: fput — the last reference to an open file calls -&gt;release (or frees a shmem file).</summary>
    internal void Fput(OpenFile file)
    {
        if (--file.Count > 0)
        {
            return;
        }

        if (file.Inode.Device is { } device)
        {
            device.OpenFiles--;
            if (device.Fops.Release is { } release)
            {
                CallDriver(device.Owner, ContextKind.Release, null, () => release(file.Inode, file));
            }

            return;
        }

        if (file.Inode.Pipe is { } pipe)
        {
            PipeRelease(pipe, file.Mode);
            return;
        }

        ReleaseShmem(file.Inode);
    }

    /// <summary>unlocked_ioctl in driver context (no mmap lock held).</summary>
    internal SysResult Ioctl(Process p, int fd, uint cmd, ulong arg)
    {
        if (!p.Files.TryGetValue(fd, out var file))
        {
            return SysResult.Error(Errno.EBADF);
        }

        if (file.Inode.Device?.Fops.Ioctl is not { } ioctl)
        {
            return SysResult.Error(Errno.ENOTTY);
        }

        var ret = CallDriver(file.Inode.Device.Owner, ContextKind.Ioctl, MmapLockMode.None, () => ioctl(file, cmd, arg));
        CheckMmapLocksReleased(p);

        return new SysResult(ret);
    }
}
