// A plain streaming read of 400 MiB on 2 MiB pages with N threads (AVX-512 loads): the machine's read bandwidth of the
// moment, to set kernel figures against (docs/benchmarks.md, issue 14, tenth round).
//   gcc -O2 -mavx512f -pthread -o /tmp/read-bandwidth scripts/probes/read-bandwidth.c && /tmp/read-bandwidth 2
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <immintrin.h>
#include <time.h>
#include <sys/mman.h>
#include <string.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static float *buf; static size_t n; static int T;
static void* run(void* a){ long id=(long)a; size_t per=n/T; const float*p=buf+id*per; __m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0;
  for(size_t i=0;i<per;i+=64){ s0=_mm512_add_ps(s0,_mm512_loadu_ps(p+i)); s1=_mm512_add_ps(s1,_mm512_loadu_ps(p+i+16)); s2=_mm512_add_ps(s2,_mm512_loadu_ps(p+i+32)); s3=_mm512_add_ps(s3,_mm512_loadu_ps(p+i+48)); }
  static volatile float sink; sink=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3))); return 0;}
int main(int c,char**v){ size_t bytes=400u<<20; n=bytes/4; T=atoi(v[1]); buf=aligned_alloc(2097152,bytes); madvise(buf,bytes,MADV_HUGEPAGE); memset(buf,1,bytes);
  for(int r=0;r<8;r++){ pthread_t th[8]; double t=now(); for(long i=0;i<T;i++) pthread_create(&th[i],0,run,(void*)i); for(int i=0;i<T;i++) pthread_join(th[i],0); t=now()-t; printf("%d threads: %.1f GB/s\n",T,bytes/t/1e9);} }
