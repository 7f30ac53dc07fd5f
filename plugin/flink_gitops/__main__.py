from flink_gitops.cli import main

raise SystemExit(main())
