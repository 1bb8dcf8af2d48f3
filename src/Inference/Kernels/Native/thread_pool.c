/*
 * A minimal fork-join pool. The engine thread publishes a job by bumping a generation counter; workers spin on it for
 * a short while after each job (the next kernel of the step follows within microseconds) and then sleep on a futex,
 * so an idle service holds no core. The caller runs tasks too and returns once every worker has acknowledged the job,
 * which is what makes one generation per job safe: no worker can miss one.
 */
#define _GNU_SOURCE
#include "thread_pool.h"
#include "gqa_kernels.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GQA_MAX_THREADS 64

static struct {
    _Atomic uint32_t generation; /* the futex word: bumped once per job */
    _Atomic int next_task;
    _Atomic int unacknowledged;  /* started workers that have not finished the current job */
    _Atomic int sleepers;
    _Atomic int spin_ns;
    int tasks;
    gqa_task_fn fn;
    void *context;
    int threads;                 /* caller included */
    int started;                 /* workers started so far */
    pthread_mutex_t start_lock;
    pthread_mutex_t job_lock;    /* held by the caller whose job the workers run */
} pool = { .spin_ns = 200 * 1000, .threads = 1, .start_lock = PTHREAD_MUTEX_INITIALIZER, .job_lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void run_tasks(void)
{
    int task;
    while ((task = atomic_fetch_add_explicit(&pool.next_task, 1, memory_order_relaxed)) < pool.tasks) {
        pool.fn(pool.context, task);
    }
}

static void *worker_main(void *argument)
{
    uint32_t seen = (uint32_t)(uintptr_t)argument;
    for (;;) {
        int64_t deadline = now_ns() + atomic_load_explicit(&pool.spin_ns, memory_order_relaxed);
        uint32_t current;
        int polls = 0;
        while ((current = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if ((++polls & 255) == 0 && now_ns() > deadline) {
                atomic_fetch_add(&pool.sleepers, 1);
                /* Returns at once if the generation moved since it was read (the kernel compares it atomically). */
                syscall(SYS_futex, &pool.generation, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
                atomic_fetch_sub(&pool.sleepers, 1);
            } else {
                cpu_relax();
            }
        }
        seen = current;
        run_tasks();
        atomic_fetch_sub_explicit(&pool.unacknowledged, 1, memory_order_release);
    }
    return NULL;
}

static void start_workers(void)
{
    pthread_mutex_lock(&pool.start_lock);
    while (pool.started < pool.threads - 1) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        uint32_t generation = atomic_load(&pool.generation);
        if (pthread_create(&thread, &attributes, worker_main, (void *)(uintptr_t)generation) != 0) {
            pthread_attr_destroy(&attributes);
            break; /* fewer workers than asked: the caller still runs every task */
        }
        pthread_attr_destroy(&attributes);
        pool.started++;
    }
    pthread_mutex_unlock(&pool.start_lock);
}

void gqa_parallel_for(int tasks, gqa_task_fn fn, void *context)
{
    if (tasks <= 0) {
        return;
    }
    /* One job at a time: a second caller (two engines in one process, as tests run them) would overwrite the job the
     * workers are reading. It runs its tasks on its own thread instead, which is correct, only not parallel. */
    if (pool.threads <= 1 || tasks == 1 || pthread_mutex_trylock(&pool.job_lock) != 0) {
        for (int t = 0; t < tasks; t++) {
            fn(context, t);
        }
        return;
    }
    if (pool.started < pool.threads - 1) {
        start_workers();
    }
    pool.fn = fn;
    pool.context = context;
    pool.tasks = tasks;
    atomic_store_explicit(&pool.next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.unacknowledged, pool.started, memory_order_relaxed);
    atomic_fetch_add(&pool.generation, 1); /* seq_cst: publishes the job before sleepers is read */
    if (atomic_load(&pool.sleepers) > 0) {
        syscall(SYS_futex, &pool.generation, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    }
    run_tasks();
    while (atomic_load_explicit(&pool.unacknowledged, memory_order_acquire) > 0) {
        cpu_relax();
    }
    pthread_mutex_unlock(&pool.job_lock);
}

void gqa_set_threads(int threads)
{
    if (threads < 1) {
        threads = 1;
    }
    if (threads > GQA_MAX_THREADS) {
        threads = GQA_MAX_THREADS;
    }
    /* Meant to be set once at start: workers already running stay and keep taking tasks. */
    pool.threads = threads;
}

int gqa_threads(void)
{
    return pool.threads;
}

void gqa_set_spin_microseconds(int microseconds)
{
    atomic_store(&pool.spin_ns, (microseconds < 0 ? 0 : microseconds) * 1000);
}
