// Paired timing of two builds of libgqakernels.so on random100M's one-row bf16 decode matmuls, per matrix shape: the
// builds alternate step by step over the same weights (12 x (qkv, o, gate_up, down) + classifier, 2 threads, weights
// on huge pages), so both see the same placement of the weights; GB/s per shape show which calls fall short of the
// machine's stream (docs/benchmarks.md, issue 14, eleventh round).
//   gcc -O2 -o /tmp/matmul-shapes-pair scripts/probes/matmul-shapes-pair.c -ldl
//   /tmp/matmul-shapes-pair OLD.so NEW.so [ROWS]
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
  int dtype=15, m=argc>3?atoi(argv[3]):1; size_t es=2;
  int64_t shapes[5][2]={{1280,768},{768,768},{4096,768},{768,2048},{32000,768}};
  void* w[49]; int64_t wn[49], wk[49]; int sh[49]; int c=0;
  for(int l=0;l<12;l++) for(int s=0;s<4;s++){wn[c]=shapes[s][0];wk[c]=shapes[s][1];sh[c]=s;c++;}
  wn[c]=32000;wk[c]=768;sh[c]=4;c++;
  for(int i=0;i<c;i++){size_t b=wn[i]*wk[i]*es; size_t r=(b+2097151)/2097152*2097152; w[i]=aligned_alloc(2097152,r); madvise(w[i],r,MADV_HUGEPAGE); memset(w[i],0x3c,b);}
  float* x=malloc(sizeof(float)*m*4096); for(int i=0;i<m*4096;i++) x[i]=rand()/(float)RAND_MAX-0.5f;
  float* y=malloc(sizeof(float)*m*32000);
  linear_fn F[2]; for(int L=0;L<2;L++){void*h=dlopen(argv[1+L],RTLD_NOW|RTLD_LOCAL); F[L]=(linear_fn)dlsym(h,"gqa_linear"); ((void(*)(int))dlsym(h,"gqa_set_threads"))(2);}
  double ts[2][5]={{0}}; double tot[2]={0}; int R=200;
  for(int r=0;r<R+5;r++) for(int L=0;L<2;L++){ linear_fn f=F[L]; double t0=now(); for(int i=0;i<c;i++){ double t=now(); f(x,m,wk[i],w[i],dtype,wn[i],NULL,y,0); if(r>=5) ts[L][sh[i]]+=now()-t;} if(r>=5) tot[L]+=now()-t0; }
  const char*nm[5]={"qkv","o","gate_up","down","cls"};
  for(int s=0;s<5;s++){ double bytes=(s==4?1:12)*shapes[s][0]*shapes[s][1]*es; printf("%-8s A %.3f ms %.1f GB/s  B %.3f ms %.1f GB/s  B/A %.3f\n",nm[s],ts[0][s]/R*1e3,bytes*R/ts[0][s]/1e9,ts[1][s]/R*1e3,bytes*R/ts[1][s]/1e9,ts[1][s]/ts[0][s]);} printf("total A %.3f B %.3f ms/step B/A %.3f\n",tot[0]/R*1e3,tot[1]/R*1e3,tot[1]/tot[0]);
}
