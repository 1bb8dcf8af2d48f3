// Paired timing of two builds of libgqakernels.so on random100M's decode matmuls (12 x (qkv, o, gate_up, down) +
// classifier through gqa_linear, 2 threads), alternated step by step (docs/benchmarks.md, issue 14, ninth round).
//   gcc -O2 -o /tmp/matmul-pair scripts/probes/matmul-pair.c -ldl
//   /tmp/matmul-pair OLD.so NEW.so W_DTYPE(6 f32, 15 bf16, 5 f16) ROWS [PAIRS]    (HUGE=1: weights on huge pages)
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
typedef int (*linear_fn)(const float*, int64_t, int64_t, const void*, int, int64_t, const float*, float*, int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  const char* libs[2]={argv[1],argv[2]}; int dtype=atoi(argv[3]); int m=atoi(argv[4]); int pairs=argc>5?atoi(argv[5]):5;
  size_t es = dtype==6?4:2;
  int64_t shapes[5][2]={{1280,768},{768,768},{4096,768},{768,2048},{32000,768}};
  void* w[49]; int64_t wn[49], wk[49]; int c=0;
  for(int l=0;l<12;l++) for(int s=0;s<4;s++){wn[c]=shapes[s][0];wk[c]=shapes[s][1];c++;}
  wn[c]=32000;wk[c]=768;c++;
  size_t total=0;
  for(int i=0;i<c;i++){size_t b=wn[i]*wk[i]*es; w[i]=aligned_alloc(2097152,(b+2097151)/2097152*2097152); if(getenv("HUGE")) madvise(w[i],(b+2097151)/2097152*2097152,MADV_HUGEPAGE); uint16_t*p=w[i]; for(size_t j=0;j<b/2;j++) p[j]=(uint16_t)(0x3c00+(rand()&0x3ff)) & (dtype==6?0xffff:0xbfff); if(dtype==6){float*f=w[i]; for(size_t j=0;j<b/4;j++) f[j]=(rand()/(float)RAND_MAX-0.5f)*0.04f;} total+=b;}
  float* x=malloc(sizeof(float)*m*4096); for(int i=0;i<m*4096;i++) x[i]=rand()/(float)RAND_MAX-0.5f;
  float* y=malloc(sizeof(float)*m*32000);
  linear_fn f[2]; void (*threads[2])(int);
  for(int L=0;L<2;L++){void*h=dlopen(libs[L],RTLD_NOW|RTLD_LOCAL); if(!h){printf("%s\n",dlerror());return 1;} f[L]=(linear_fn)dlsym(h,"gqa_linear"); threads[L]=(void(*)(int))dlsym(h,"gqa_set_threads"); threads[L](2);}
  printf("weights %.1f MB, m=%d\n", total/1e6, m);
  { float* y2=malloc(sizeof(float)*m*32000); double worst=0;
    for(int i=0;i<c;i++){ f[0](x,m,wk[i],w[i],dtype,wn[i],NULL,y,0); f[1](x,m,wk[i],w[i],dtype,wn[i],NULL,y2,0);
      for(int64_t j=0;j<m*wn[i];j++){ double d=y[j]-y2[j]; if(d<0)d=-d; double s=y[j]<0?-y[j]:y[j]; d/= (s>1?s:1); if(d>worst) worst=d; } }
    printf("max relative difference lib0 vs lib1: %.3g\n", worst); free(y2); }
  { int N=pairs*8; double *t0=malloc(sizeof(double)*N),*t1=malloc(sizeof(double)*N),*r=malloc(sizeof(double)*N);
    for(int s=0;s<N;s++){ for(int L=0;L<2;L++){ int LL=(s&1)?1-L:L; double t=now(); for(int i=0;i<c;i++) f[LL](x,m,wk[i],w[i],dtype,wn[i],NULL,y,0); t=now()-t; if(LL==0)t0[s]=t; else t1[s]=t; } r[s]=t1[s]/t0[s]; }
    int cmp(const void*a,const void*b){double d=*(double*)a-*(double*)b; return d<0?-1:d>0;}
    qsort(t0,N,sizeof(double),cmp); qsort(t1,N,sizeof(double),cmp); qsort(r,N,sizeof(double),cmp);
    printf("lib0 median %.2f ms best %.2f; lib1 median %.2f ms best %.2f; paired ratio lib1/lib0 median %.3f (q1 %.3f q3 %.3f) over %d\n", t0[N/2]*1e3,t0[0]*1e3,t1[N/2]*1e3,t1[0]*1e3,r[N/2],r[N/4],r[3*N/4],N); }
}
