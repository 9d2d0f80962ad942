// 占住匿名内存（写过每一页），使系统可用内存降到目标值；收到信号退出
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
int main(int argc, char** argv) {
  size_t gib_avail_target = (size_t)(atof(argv[1]) * 1024 * 1024 * 1024);
  FILE* f = fopen("/proc/meminfo", "r"); char line[256]; size_t avail = 0;
  while (fgets(line, sizeof line, f)) if (sscanf(line, "MemAvailable: %zu kB", &avail) == 1) break;
  fclose(f); avail *= 1024;
  if (avail <= gib_avail_target) { fprintf(stderr, "already below target\n"); pause(); return 0; }
  size_t n = avail - gib_avail_target;
  char* p = mmap(0, n, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  mlock(p, n);
  fprintf(stderr, "balloon holds %.2f GiB\n", n / 1073741824.0); fflush(stderr);
  pause();
  return 0;
}
