// Paired timing of two builds of libgqakernels.so on random100M's decode attention (12 layers, 12 heads over 4 K/V
// heads of 64, K/V blocks of 16 slots handed out round-robin, each layer its own pool on huge pages); the builds
// alternate step by step and the median of the per-step ratios is printed with its quartiles (docs/benchmarks.md,
// issue 14, tenth round). SAME=1 runs every layer over one pool, so only the arithmetic is timed.
//   gcc -O2 -o /tmp/attention-pair scripts/probes/attention-pair.c -ldl -lm
//   /tmp/attention-pair OLD.so NEW.so KV_DTYPE(6 f32, 15 bf16, 5 f16) SEQUENCES CONTEXT [PAIRS]
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <sys/mman.h>
typedef int (*attn_fn)(const float*, int64_t, const int32_t*, int64_t, int64_t, int64_t, int64_t, const void*, const void*, int,
                       const int32_t*, const int32_t*, const int32_t*, float*, int64_t, int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static uint16_t bf(float f){uint32_t u; memcpy(&u,&f,4); return (uint16_t)((u+0x7fff+((u>>16)&1))>>16);}
int main(int argc,char**argv){
  const char* libs[2]={argv[1],argv[2]}; int dtype=atoi(argv[3]); int batch=atoi(argv[4]); int ctx=atoi(argv[5]); int pairs=argc>6?atoi(argv[6]):5;
  const int heads=12, kvh=4, d=64, layers=12, bs=16; size_t es=dtype==6?4:2;
  int blocks_per=(ctx+bs-1)/bs; int nblocks=blocks_per*batch+8; size_t pslots=(size_t)nblocks*bs;
  size_t layer_bytes=pslots*kvh*d*es; size_t lb=(layer_bytes+2097151)/2097152*2097152;
  void *K[12],*V[12];
  for(int l=0;l<layers;l++){ K[l]=aligned_alloc(2097152,lb); V[l]=aligned_alloc(2097152,lb); madvise(K[l],lb,MADV_HUGEPAGE); madvise(V[l],lb,MADV_HUGEPAGE);
    for(size_t i=0;i<pslots*kvh*d;i++){ float a=rand()/(float)RAND_MAX-0.5f, b=rand()/(float)RAND_MAX-0.5f;
      if(es==4){((float*)K[l])[i]=a;((float*)V[l])[i]=b;} else {((uint16_t*)K[l])[i]=bf(a);((uint16_t*)V[l])[i]=bf(b);} } }
  // blocks handed out round-robin, as sequences that grow together get them
  int32_t *slots=malloc(sizeof(int32_t)*batch*blocks_per*bs), offs[batch], lens[batch], rows[batch];
  for(int s=0;s<batch;s++){ offs[s]=s*blocks_per*bs; lens[s]=ctx; rows[s]=s; }
  for(int b=0;b<blocks_per;b++) for(int s=0;s<batch;s++){ int block=b*batch+s+3; for(int j=0;j<bs;j++) slots[offs[s]+b*bs+j]=block*bs+j; }
  int qw=(heads+2*kvh)*d; float* q=malloc(sizeof(float)*batch*qw); for(int i=0;i<batch*qw;i++) q[i]=(rand()/(float)RAND_MAX-0.5f)*4;
  float* o[2]={malloc(sizeof(float)*batch*heads*d),malloc(sizeof(float)*batch*heads*d)};
  attn_fn f[2];
  for(int L=0;L<2;L++){void*h=dlopen(libs[L],RTLD_NOW|RTLD_LOCAL); if(!h){printf("%s\n",dlerror());return 1;} f[L]=(attn_fn)dlsym(h,"gqa_decode_attention"); ((void(*)(int))dlsym(h,"gqa_set_threads"))(2);}
  double worst=0; for(int l=0;l<layers;l++){ for(int L=0;L<2;L++) if(f[L](q,qw,rows,batch,heads,kvh,d,K[l],V[l],dtype,slots,offs,lens,o[L],heads*d,0)){printf("error\n");return 1;}
    for(int i=0;i<batch*heads*d;i++){double x=fabs(o[0][i]-o[1][i]); if(x>worst)worst=x;} }
  printf("K/V %.1f MB per step, max |lib0-lib1| %.3g\n", 2.0*layers*batch*ctx*kvh*d*es/1e6, worst);
  int N=pairs*8; int same=getenv("SAME")!=0; double *t0=malloc(sizeof(double)*N),*t1=malloc(sizeof(double)*N),*r=malloc(sizeof(double)*N);
  for(int s=0;s<N;s++){ for(int L=0;L<2;L++){ int LL=(s&1)?1-L:L; double t=now(); for(int l=0;l<layers;l++) f[LL](q,qw,rows,batch,heads,kvh,d,K[same?0:l],V[same?0:l],dtype,slots,offs,lens,o[0],heads*d,0); t=now()-t; if(LL==0)t0[s]=t; else t1[s]=t; } r[s]=t1[s]/t0[s]; }
  int cmp(const void*a,const void*b){double x=*(double*)a-*(double*)b; return x<0?-1:x>0;}
  qsort(t0,N,sizeof(double),cmp); qsort(t1,N,sizeof(double),cmp); qsort(r,N,sizeof(double),cmp);
  double bytes=2.0*layers*batch*ctx*kvh*d*es;
  printf("lib0 median %.2f ms (%.1f GB/s); lib1 median %.2f ms (%.1f GB/s); paired ratio lib1/lib0 %.3f (q1 %.3f q3 %.3f) over %d\n", t0[N/2]*1e3,bytes/t0[N/2]/1e9,t1[N/2]*1e3,bytes/t1[N/2]/1e9,r[N/2],r[N/4],r[3*N/4],N);
}
