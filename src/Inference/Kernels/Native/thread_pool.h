/* The kernels' worker threads: a parallel-for over task indices that the calling thread takes part in. */
#ifndef GQA_THREAD_POOL_H
#define GQA_THREAD_POOL_H

typedef void (*gqa_task_fn)(void *context, int task);

/* Runs fn(context, t) for every t in [0, tasks), spread over the pool; returns when all are done. One job runs on the
 * pool at a time: a caller that finds it busy (another engine thread) runs its tasks alone. A task never calls it. */
void gqa_parallel_for(int tasks, gqa_task_fn fn, void *context);

#endif
