/*
 * minidocker's namespace helper: the only native code of the runtime.
 *
 * Bun is multi-threaded, so the CLI cannot unshare(CLONE_NEWUSER) or setns into a mount/user
 * namespace, and a fork from JS crashes the child. md_spawn() clones a single-threaded child in
 * C, which joins and creates namespaces (like runc's nsexec) and then execve's our own binary's
 * hidden `init` stage. The child only makes raw system calls: no malloc, no stdio, no locks.
 *
 * It declares its own prototypes and constants: a minimal host has no /usr/include, and the
 * same source is compiled by gcc at build time and by TinyCC (bun:ffi `cc`) as a fallback.
 */

typedef unsigned long size_t;

extern long syscall(long number, ...);

#if defined(__x86_64__)
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_rt_sigaction 13
#define NR_rt_sigprocmask 14
#define NR_getpid 39
#define NR_clone 56
#define NR_clone3 435
#define NR_exit_group 231
#define NR_mount 165
#define NR_unshare 272
#define NR_setns 308
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_prctl 157
#define NR_execveat 322
#define NR_execve 59
#define NR_chroot 161
#define NR_fchdir 81
#define NR_dup3 292
#define NR_pipe2 293
#elif defined(__aarch64__)
#define NR_read 63
#define NR_write 64
#define NR_openat 56
#define NR_close 57
#define NR_rt_sigaction 134
#define NR_rt_sigprocmask 135
#define NR_getpid 172
#define NR_clone 220
#define NR_clone3 435
#define NR_exit_group 94
#define NR_mount 40
#define NR_unshare 97
#define NR_setns 268
#define NR_setresuid 147
#define NR_setresgid 149
#define NR_prctl 167
#define NR_execveat 281
#define NR_execve 221
#define NR_chroot 51
#define NR_fchdir 50
#define NR_dup3 24
#define NR_pipe2 59
#else
#error "unsupported architecture"
#endif

#define SIGCHLD 17
#define SIGKILL 9
#define SIGSTOP 19
#define SIG_SETMASK 2
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWTIME 0x00000080
#define CLONE_NEWNS 0x00020000
#define CLONE_INTO_CGROUP 0x200000000UL
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_REC 16384
#define MS_SLAVE (1 << 19)
#define O_WRONLY 1
#define O_PATH 010000000
#if defined(__aarch64__)
#define O_DIRECTORY 040000 /* the generic value; x86's 0200000 means O_DIRECT here */
#else
#define O_DIRECTORY 0200000
#endif
#define O_CLOEXEC 02000000
#define AT_FDCWD -100
#define AT_EMPTY_PATH 0x1000
#define PR_SET_PDEATHSIG 1
#define PR_SET_DUMPABLE 4
#define SIG_DFL 0

/* Messages to the parent on the sync socket: fixed 64-byte records, then init's JSON lines. */
enum { MSG_NEED_MAPS = 1, MSG_PID = 2, MSG_ERROR = 3 };
struct md_msg {
  int type;
  int value; /* pid, or errno for MSG_ERROR */
  char step[56];
};

/* Layout shared with src/stages/spawn.ts (all fields 8 bytes wide). */
struct md_spawn {
  long sync_fd;         /* child's end of the socketpair */
  const char *exe_path; /* our binary */
  char *const *argv;
  char *const *envp;
  long ns_count;        /* namespaces to join, user first */
  const long *ns_fds;
  const long *ns_types; /* the CLONE_NEW* type of each: setns refuses a file of another type */
  long clone_flags;     /* namespaces to create */
  long protect_exe;     /* exec the binary through a private read-only bind (CVE-2019-5736) */
  const char *timens_offsets; /* written to /proc/self/timens_offsets after unshare(CLONE_NEWTIME) */
  long close_fd;        /* the parent's end of the socketpair, closed in the child */
  long enter_root_fd;   /* exec: an fd of the host's "/" (see enter_container_root), or -1 */
  long cgroup_fd;       /* a cgroup2 directory to clone the first child straight into, or -1 */
  long cgroup_joined;   /* out: 1 when the clone put it there (CLONE_INTO_CGROUP) */
  long init_is_child;   /* out: 1 when the returned child is init itself (no records follow) */
};

/* clone3(2)'s argument (Linux 5.7+ with the cgroup field). */
struct clone_args {
  unsigned long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static long sys_open(const char *path, long flags, long mode) {
#ifdef NR_open
  return syscall(NR_open, path, flags, mode);
#else
  return syscall(NR_openat, AT_FDCWD, path, flags, mode);
#endif
}

static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static void send_msg(long fd, int type, int value, const char *step) {
  struct md_msg msg;
  char *p = (char *)&msg;
  for (size_t i = 0; i < sizeof msg; i++) p[i] = 0;
  msg.type = type;
  msg.value = value;
  for (size_t i = 0; step && step[i] && i < sizeof msg.step - 1; i++) msg.step[i] = step[i];
  syscall(NR_write, fd, &msg, sizeof msg);
}

/*
 * Once the parent knows init's pid it reads init's JSON lines, not records: from then on (in init
 * itself) a failure is reported as such a line, {"type":"error","step":…,"errno":N}.
 */
static int pid_reported;

static void send_error_line(long fd, const char *step, int err) {
  char line[160];
  size_t n = 0;
  const char *parts[] = { "{\"type\":\"error\",\"step\":\"", step, "\",\"errno\":" };
  for (size_t p = 0; p < 3; p++)
    for (size_t i = 0; parts[p][i] && n < 120; i++) line[n++] = parts[p][i]; /* steps are plain ASCII, no quotes */
  char digits[12];
  size_t d = 0;
  do digits[d++] = (char)('0' + err % 10); while ((err /= 10) > 0 && d < sizeof digits);
  while (d > 0) line[n++] = digits[--d];
  line[n++] = '}';
  line[n++] = '\n';
  syscall(NR_write, fd, line, n);
}

/* Report the failed step with its errno to the parent, then die. */
static void fail(struct md_spawn *s, const char *step, long ret) {
  if (pid_reported) send_error_line(s->sync_fd, step, (int)-ret);
  else send_msg(s->sync_fd, MSG_ERROR, (int)-ret, step);
  syscall(NR_exit_group, 1);
}

static void check(struct md_spawn *s, const char *step, long ret) {
  if (ret < 0) fail(s, step, ret);
}

/* glibc's syscall() returns -1 and sets errno; take errno through the libc accessor. */
extern int *__errno_location(void);
static long sc(long ret) { return ret == -1 ? -(long)*__errno_location() : ret; }

/*
 * md_spawn blocks every signal around the clone, so none can run one of Bun's handlers in the
 * child (they would run Bun code in a process that is not Bun's). The child resets every
 * handler to the default, then unblocks: a signal that arrived meanwhile gets its default
 * action. Bun also ignores some signals, and execve keeps ignored dispositions and the mask.
 */
static void reset_signals(void) {
  struct { unsigned long handler, flags, restorer, mask; } dfl = { SIG_DFL, 0, 0, 0 };
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(NR_rt_sigaction, sig, &dfl, 0, 8);
  unsigned long empty = 0;
  syscall(NR_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
}

static long exec_init(struct md_spawn *s, long exe_fd) {
  if (exe_fd >= 0) return sc(syscall(NR_execveat, exe_fd, "", s->argv, s->envp, AT_EMPTY_PATH));
  return sc(syscall(NR_execve, s->exe_path, s->argv, s->envp));
}

/*
 * exec: after setns into the container's mount namespace our root is the container's rootfs,
 * where neither the dynamic loader nor the libraries of our (dynamically linked) binary exist,
 * and Bun cannot join a mount namespace later (multi-threaded). So stay in the container's
 * mount namespace but chroot back to the host's root for the execve; init chroots into the
 * container's root, handed over on the same fd number, before anything else. chroot and
 * fchdir, unlike mount and pivot_root, accept a directory of another mount namespace.
 */
static void enter_container_root(struct md_spawn *s) {
  long container_root = sc(sys_open("/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  check(s, "open the container's root", container_root);
  check(s, "fchdir to the host's root", sc(syscall(NR_fchdir, s->enter_root_fd)));
  check(s, "chroot to the host's root", sc(syscall(NR_chroot, ".")));
  check(s, "hand over the container's root", sc(syscall(NR_dup3, container_root, s->enter_root_fd, 0)));
  syscall(NR_close, container_root);
}

/*
 * Exec ourselves through a read-only bind in a private mount namespace (the caller unshared it),
 * so a container process reopening /proc/<init>/exe can never write to the host's binary
 * (CVE-2019-5736). Returns an O_PATH fd of the protected binary.
 */
static long protect_binary(struct md_spawn *s) {
  check(s, "make / rslave", sc(syscall(NR_mount, 0, "/", 0, MS_REC | MS_SLAVE, 0)));
  check(s, "bind the runtime binary", sc(syscall(NR_mount, s->exe_path, s->exe_path, 0, MS_BIND, 0)));
  check(s, "remount the runtime binary read-only",
        sc(syscall(NR_mount, 0, s->exe_path, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, 0)));
  long fd = sc(sys_open(s->exe_path, O_PATH | O_CLOEXEC, 0));
  check(s, "open the runtime binary", fd);
  return fd;
}

static void child(struct md_spawn *s) {
  long exe_fd = -1;
  reset_signals();
  /* The CLI waits for us; if it dies mid-setup, we must not linger. Not inherited by the init. */
  sc(syscall(NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  if (s->close_fd >= 0) syscall(NR_close, s->close_fd);

  /* The common case (a new mount namespace, nothing joined, no user namespace) protects the
   * binary in the container's own mount namespace below: one namespace copy instead of two. */
  int protect_late = s->protect_exe && s->ns_count == 0 && !(s->clone_flags & CLONE_NEWUSER) &&
                     (s->clone_flags & CLONE_NEWNS);
  if (s->protect_exe && !protect_late) {
    check(s, "unshare mount namespace for the read-only binary", sc(syscall(NR_unshare, CLONE_NEWNS)));
    exe_fd = protect_binary(s);
  }

  for (long i = 0; i < s->ns_count; i++) {
    /* "setns <i>": the parent names the namespace and its path */
    char step[] = "setns 00";
    step[6] = (char)('0' + i / 10 % 10);
    step[7] = (char)('0' + i % 10);
    check(s, step, sc(syscall(NR_setns, s->ns_fds[i], s->ns_types[i])));
  }
  if (s->enter_root_fd >= 0) enter_container_root(s);

  if (s->clone_flags & CLONE_NEWUSER) {
    check(s, "unshare user namespace", sc(syscall(NR_unshare, CLONE_NEWUSER)));
    send_msg(s->sync_fd, MSG_NEED_MAPS, (int)sc(syscall(NR_getpid)), "");
    char ack;
    if (sc(syscall(NR_read, s->sync_fd, &ack, 1)) != 1) fail(s, "wait for id mappings", -5);
    if (ack != 'M') fail(s, "id mappings", -22);
  }
  /* Become root of the (possibly new) user namespace: init needs it for mounts. Fails (EINVAL)
   * when the namespace maps no uid or gid 0. */
  if (s->ns_count > 0 || (s->clone_flags & CLONE_NEWUSER)) {
    check(s, "become root in the user namespace: setresgid(0)", sc(syscall(NR_setresgid, 0, 0, 0)));
    check(s, "become root in the user namespace: setresuid(0)", sc(syscall(NR_setresuid, 0, 0, 0)));
  }

  long rest = s->clone_flags & ~CLONE_NEWUSER;
  if (rest) check(s, "unshare namespaces", sc(syscall(NR_unshare, rest)));
  /* In the container's mount namespace: pivot_root later detaches the host's tree, bind included. */
  if (protect_late) exe_fd = protect_binary(s);
  if ((rest & CLONE_NEWTIME) && s->timens_offsets && s->timens_offsets[0]) {
    /* setresuid into a new user namespace made us non-dumpable, which makes the files of /proc/self owned
     * by the host's root, unmapped here: EACCES. The execve of init that follows makes us
     * dumpable anyway. */
    sc(syscall(NR_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0));
    long fd = sc(sys_open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC, 0));
    check(s, "open /proc/self/timens_offsets", fd);
    check(s, "write /proc/self/timens_offsets",
          sc(syscall(NR_write, fd, s->timens_offsets, str_len(s->timens_offsets))));
    syscall(NR_close, fd);
  }

  /* A new or joined pid (or time) namespace applies to children only: fork once more. */
  if (rest & (CLONE_NEWPID | CLONE_NEWTIME) || s->ns_count > 0) {
    /* init reports failures as JSON lines, which must follow our MSG_PID record: it waits for this byte */
    int reported[2];
    check(s, "pipe", sc(syscall(NR_pipe2, reported, O_CLOEXEC)));
    long pid = sc(syscall(NR_clone, SIGCHLD, 0, 0, 0, 0));
    check(s, "clone init", pid);
    if (pid > 0) {
      send_msg(s->sync_fd, MSG_PID, (int)pid, "");
      syscall(NR_write, reported[1], "p", 1);
      syscall(NR_exit_group, 0);
    }
    syscall(NR_close, reported[1]);
    char byte = 0;
    /* EOF: our parent died before reporting us; the CLI sees it exit and gives up */
    if (sc(syscall(NR_read, reported[0], &byte, 1)) != 1) syscall(NR_exit_group, 1);
    syscall(NR_close, reported[0]);
  } else {
    /* We are the init ourselves: the death signal must not outlive `create`. */
    sc(syscall(NR_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0));
    send_msg(s->sync_fd, MSG_PID, (int)sc(syscall(NR_getpid)), "");
  }
  pid_reported = 1;
  fail(s, "execve init", exec_init(s, exe_fd));
}

/*
 * The common case: new namespaces only (no user namespace, nothing to join, no time offsets).
 * One clone() with every CLONE_NEW* flag makes init directly (PID 1 of a new pid namespace):
 * no intermediate child, so one copy of the CLI's page tables (~45 MB of Bun) instead of two.
 */
static int single_clone(struct md_spawn *s) {
  return s->ns_count == 0 && s->enter_root_fd < 0 && !(s->clone_flags & (CLONE_NEWUSER | CLONE_NEWTIME)) &&
         (!s->protect_exe || (s->clone_flags & CLONE_NEWNS));
}

static void init_child(struct md_spawn *s) {
  pid_reported = 1; /* the parent knows our pid from clone: it reads JSON lines from the start */
  reset_signals();
  if (s->close_fd >= 0) syscall(NR_close, s->close_fd);
  long exe_fd = s->protect_exe ? protect_binary(s) : -1;
  fail(s, "execve init", exec_init(s, exe_fd));
}

/*
 * fork-like clone with `flags`, into s->cgroup_fd's cgroup when given: moving a process there
 * later (a cgroup.procs write) waits for an RCU grace period, 5-16 ms measured here, while a
 * clone into it takes no global lock. If that fails (a kernel before 5.7, a cgroup that refuses),
 * a plain clone, and the caller moves the process as before (cgroup_joined stays 0).
 */
static long clone_child(struct md_spawn *s, unsigned long flags) {
  s->cgroup_joined = 0;
  if (s->cgroup_fd >= 0) {
    struct clone_args args = { 0 };
    args.flags = (flags & ~0xffUL) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (unsigned long)s->cgroup_fd;
    long pid = sc(syscall(NR_clone3, &args, sizeof args));
    if (pid >= 0) {
      if (pid > 0) s->cgroup_joined = 1;
      return pid;
    }
    /* ENOSYS/E2BIG (old kernel) or a cgroup that refuses it: the caller's cgroup.procs write says why */
  }
  return sc(syscall(NR_clone, SIGCHLD | flags, 0, 0, 0, 0));
}

/* Returns the first child's pid (> 0) or -errno. Only the parent returns. */
long md_spawn(struct md_spawn *s) {
  unsigned long all = ~0UL, caller_mask;
  syscall(NR_rt_sigprocmask, SIG_SETMASK, &all, &caller_mask, 8);
  long pid;
  s->init_is_child = single_clone(s);
  if (s->init_is_child) {
    pid = clone_child(s, s->clone_flags);
    if (pid == 0) init_child(s);
  } else {
    pid = clone_child(s, 0);
    if (pid == 0) child(s);
  }
  syscall(NR_rt_sigprocmask, SIG_SETMASK, &caller_mask, 0, 8);
  return pid;
}
