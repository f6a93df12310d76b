"""moto 5.2.1's answers fixed where this stack meets them, one module per AWS service:
importing a module patches moto in this process. Each fix says which moto
behaviour it corrects and how AWS behaves instead; the launcher
(../moto_launcher.py) imports them all, then serves."""
