from chartgen.cli.main import main

raise SystemExit(main())
