// The machine's read bandwidth as a distribution: N threads (kept alive, released by a generation counter, as the
// kernel pool does) stream a buffer of MiB on 2 MiB pages R times; min / median / 95th percentile per pass. Between
// processes the median moved between 31 and 52 GB/s on the 2-core Zen 5 (docs/benchmarks.md, issue 14, eleventh round).
//   gcc -O2 -mavx512f -pthread -o /tmp/read-bandwidth-distribution scripts/probes/read-bandwidth-distribution.c
//   /tmp/read-bandwidth-distribution THREADS MIB PASSES      (2 191 200: random100M's bf16 step)
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <immintrin.h>
#include <time.h>
#include <sys/mman.h>
#include <string.h>
#include <stdatomic.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static float *buf; static size_t n; static int T; static int R;
static atomic_int gen, done;
static volatile float sink;
static void pass(long id){ size_t per=n/T; const float*p=buf+id*per; __m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0;
  for(size_t i=0;i<per;i+=64){ s0=_mm512_add_ps(s0,_mm512_loadu_ps(p+i)); s1=_mm512_add_ps(s1,_mm512_loadu_ps(p+i+16)); s2=_mm512_add_ps(s2,_mm512_loadu_ps(p+i+32)); s3=_mm512_add_ps(s3,_mm512_loadu_ps(p+i+48)); }
  sink=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3)));}
static void* worker(void*a){ long id=(long)a; for(int r=1;r<=R;r++){ while(atomic_load(&gen)<r); pass(id); atomic_fetch_add(&done,1);} return 0;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int c,char**v){ size_t bytes=(size_t)atoi(v[2])<<20; n=bytes/4; T=atoi(v[1]); R=atoi(v[3]); buf=aligned_alloc(2097152,bytes); madvise(buf,bytes,MADV_HUGEPAGE); memset(buf,1,bytes);
  pthread_t th[8]; for(long i=1;i<T;i++) pthread_create(&th[i],0,worker,(void*)i);
  double *ts=malloc(R*sizeof(double));
  for(int r=1;r<=R;r++){ double t=now(); atomic_store(&gen,r); pass(0); while(atomic_load(&done)<(T-1)*r); ts[r-1]=now()-t; }
  qsort(ts,R,sizeof(double),cmp);
  printf("%zu MiB %d threads: min %.2f median %.2f p95 %.2f ms  (median %.1f GB/s)\n",bytes>>20,T,ts[0]*1e3,ts[R/2]*1e3,ts[R*95/100]*1e3,bytes/ts[R/2]/1e9);}
