import sys

from ekbist.cli import main

sys.exit(main())
