// Real mounts compete for the same two cores and for /dev/fuse; one test at a time keeps timings honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
