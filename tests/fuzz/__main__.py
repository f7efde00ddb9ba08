from tests.fuzz import main

raise SystemExit(main())
