package apps

import "html/template"

// texts is the download page in one language. Commands and file names stay
// as they are typed; everything a person reads is translated.
type texts struct {
	Code, Name string

	Title, Intro, Pick, Version    string
	SignedBy, AskKey               string
	CheckFiles, SumsDesc, SigDesc  string
	CheckTitle, CheckHow           string
	HowTitle, LinuxHow, WindowsHow string
	MacHow                         string
	WhichLinux, After              template.HTML
	Nothing, NothingHow, Problem   string
	decimal, mb                    string
	platforms                      map[string]string
}

// allTexts: English first, the fallback.
var allTexts = []*texts{
	{
		Code: "en", Name: "English",
		Title:      "Caravan: get the program",
		Intro:      "This Caravan node offers the Caravan program itself, so you can get it without the internet. Caravan carries signed messages between people when the internet is cut; every copy is a full node.",
		Pick:       "Choose the file for your device, check its sum, then start it.",
		Version:    "Version",
		SignedBy:   "The sums are signed by the key",
		AskKey:     "Ask the person who gave you this address whether it is their Caravan key.",
		CheckFiles: "For checking:",
		SumsDesc:   "the sums, in the format of sha256sum",
		SigDesc:    "the signature: Nostr events, NIP-94",
		CheckTitle: "Check the sum first",
		CheckHow:   "The result must be exactly the sum shown above for that file. If it differs, do not run the file.",
		HowTitle:   "How to start it",
		LinuxHow:   "Linux and Raspberry Pi: open a terminal in the folder with the file and type:",
		WhichLinux: "Not sure which Linux file? The command <code>uname -m</code> prints x86_64 (Linux PC), aarch64 (64-bit ARM) or armv7l (32-bit ARM).",
		WindowsHow: "Windows: open PowerShell in the folder with the file and type (double-clicking the file does not start it):",
		MacHow:     "Mac: open Terminal in the folder with the file and type (the first line removes the quarantine mark macOS puts on downloaded files):",
		After:      "Caravan then shows its address and your key; keep the terminal open while it runs. Type <code>--help</code> instead of <code>serve</code> to see everything it can do.",
		Nothing:    "This node does not offer the program yet.",
		NothingHow: "Whoever runs this node can publish it like this:",
		Problem:    "The published files failed their check, so none are offered:",
		decimal:    ".", mb: "MB",
		platforms: map[string]string{
			"linux/amd64":   "Linux PC (64-bit Intel/AMD)",
			"linux/arm64":   "Raspberry Pi 3 or later with a 64-bit system, other 64-bit ARM Linux",
			"linux/arm":     "Raspberry Pi 2 or later (32-bit), other 32-bit ARM Linux",
			"windows/amd64": "Windows (64-bit)",
			"darwin/arm64":  "Mac with Apple silicon (M1 or later)",
			"darwin/amd64":  "Mac with an Intel processor",
		},
	},
	{
		Code: "es", Name: "Español",
		Title:      "Caravan: descarga el programa",
		Intro:      "Este nodo de Caravan ofrece el propio programa Caravan, para que puedas obtenerlo sin internet. Caravan lleva mensajes firmados entre personas cuando se corta internet; cada copia es un nodo completo.",
		Pick:       "Elige el archivo para tu dispositivo, comprueba su suma y luego inícialo.",
		Version:    "Versión",
		SignedBy:   "Las sumas están firmadas con la clave",
		AskKey:     "Pregunta a quien te dio esta dirección si es su clave de Caravan.",
		CheckFiles: "Para comprobar:",
		SumsDesc:   "las sumas, en el formato de sha256sum",
		SigDesc:    "la firma: eventos Nostr, NIP-94",
		CheckTitle: "Primero comprueba la suma",
		CheckHow:   "El resultado debe ser exactamente la suma que aparece arriba para ese archivo. Si es distinta, no ejecutes el archivo.",
		HowTitle:   "Cómo iniciarlo",
		LinuxHow:   "Linux y Raspberry Pi: abre una terminal en la carpeta del archivo y escribe:",
		WhichLinux: "¿No sabes qué archivo de Linux elegir? La orden <code>uname -m</code> muestra x86_64 (PC con Linux), aarch64 (ARM de 64 bits) o armv7l (ARM de 32 bits).",
		WindowsHow: "Windows: abre PowerShell en la carpeta del archivo y escribe (hacer doble clic en el archivo no lo inicia):",
		MacHow:     "Mac: abre Terminal en la carpeta del archivo y escribe (la primera línea quita la marca de cuarentena que macOS pone a los archivos descargados):",
		After:      "Caravan mostrará entonces su dirección y tu clave; deja la terminal abierta mientras funciona. Escribe <code>--help</code> en lugar de <code>serve</code> para ver todo lo que puede hacer.",
		Nothing:    "Este nodo todavía no ofrece el programa.",
		NothingHow: "Quien administra este nodo puede publicarlo así:",
		Problem:    "Los archivos publicados no pasaron la comprobación, así que no se ofrece ninguno:",
		decimal:    ",", mb: "MB",
		platforms: map[string]string{
			"linux/amd64":   "PC con Linux (Intel/AMD de 64 bits)",
			"linux/arm64":   "Raspberry Pi 3 o posterior con sistema de 64 bits, otros Linux ARM de 64 bits",
			"linux/arm":     "Raspberry Pi 2 o posterior (32 bits), otros Linux ARM de 32 bits",
			"windows/amd64": "Windows (64 bits)",
			"darwin/arm64":  "Mac con chip de Apple (M1 o posterior)",
			"darwin/amd64":  "Mac con procesador Intel",
		},
	},
	{
		Code: "ru", Name: "Русский",
		Title:      "Caravan: скачать программу",
		Intro:      "Этот узел Caravan раздаёт саму программу Caravan, чтобы её можно было получить без интернета. Caravan передаёт подписанные сообщения между людьми, когда интернет отключён; каждая копия — полноценный узел.",
		Pick:       "Выберите файл для своего устройства, проверьте его контрольную сумму и запустите.",
		Version:    "Версия",
		SignedBy:   "Контрольные суммы подписаны ключом",
		AskKey:     "Спросите у того, кто дал вам этот адрес, его ли это ключ Caravan.",
		CheckFiles: "Для проверки:",
		SumsDesc:   "контрольные суммы в формате sha256sum",
		SigDesc:    "подпись: события Nostr, NIP-94",
		CheckTitle: "Сначала проверьте контрольную сумму",
		CheckHow:   "Результат должен в точности совпадать с суммой, указанной выше для этого файла. Если она другая, не запускайте файл.",
		HowTitle:   "Как запустить",
		LinuxHow:   "Linux и Raspberry Pi: откройте терминал в папке с файлом и введите:",
		WhichLinux: "Не знаете, какой файл для Linux выбрать? Команда <code>uname -m</code> выведет x86_64 (ПК с Linux), aarch64 (64-битный ARM) или armv7l (32-битный ARM).",
		WindowsHow: "Windows: откройте PowerShell в папке с файлом и введите (двойной щелчок по файлу его не запустит):",
		MacHow:     "Mac: откройте «Терминал» в папке с файлом и введите (первая строка снимает карантинную метку, которую macOS ставит на скачанные файлы):",
		After:      "Затем Caravan покажет свой адрес и ваш ключ; не закрывайте терминал, пока программа работает. Введите <code>--help</code> вместо <code>serve</code>, чтобы увидеть все её возможности.",
		Nothing:    "Этот узел пока не раздаёт программу.",
		NothingHow: "Владелец узла может опубликовать её так:",
		Problem:    "Опубликованные файлы не прошли проверку, поэтому они не раздаются:",
		decimal:    ",", mb: "МБ",
		platforms: map[string]string{
			"linux/amd64":   "ПК с Linux (64-битный Intel/AMD)",
			"linux/arm64":   "Raspberry Pi 3 и новее с 64-битной системой, другие 64-битные ARM с Linux",
			"linux/arm":     "Raspberry Pi 2 и новее (32-битная система), другие 32-битные ARM с Linux",
			"windows/amd64": "Windows (64-битная)",
			"darwin/arm64":  "Mac с процессором Apple (M1 и новее)",
			"darwin/amd64":  "Mac с процессором Intel",
		},
	},
	{
		Code: "kk", Name: "Қазақша",
		Title:      "Caravan: бағдарламаны жүктеп алу",
		Intro:      "Бұл Caravan түйіні Caravan бағдарламасының өзін таратады, сондықтан оны интернетсіз алуға болады. Интернет өшірілгенде Caravan адамдар арасында қол қойылған хабарларды жеткізеді; әр көшірме — толыққанды түйін.",
		Pick:       "Құрылғыңызға арналған файлды таңдаңыз, оның бақылау сомасын тексеріп, іске қосыңыз.",
		Version:    "Нұсқасы",
		SignedBy:   "Бақылау сомаларына мына кілтпен қол қойылған:",
		AskKey:     "Осы мекенжайды берген адамнан бұл оның Caravan кілті ме екенін сұраңыз.",
		CheckFiles: "Тексеру үшін:",
		SumsDesc:   "sha256sum пішіміндегі бақылау сомалары",
		SigDesc:    "қолтаңба: Nostr оқиғалары, NIP-94",
		CheckTitle: "Алдымен бақылау сомасын тексеріңіз",
		CheckHow:   "Нәтиже жоғарыда сол файл үшін көрсетілген сомамен дәл сәйкес келуі керек. Егер ол басқаша болса, файлды іске қоспаңыз.",
		HowTitle:   "Қалай іске қосу керек",
		LinuxHow:   "Linux және Raspberry Pi: файл тұрған қалтада терминалды ашып, мынаны теріңіз:",
		WhichLinux: "Linux үшін қай файлды таңдау керегін білмейсіз бе? <code>uname -m</code> пәрмені x86_64 (Linux орнатылған ДК), aarch64 (64-биттік ARM) немесе armv7l (32-биттік ARM) деп шығарады.",
		WindowsHow: "Windows: файл тұрған қалтада PowerShell-ді ашып, мынаны теріңіз (файлды екі рет басу оны іске қоспайды):",
		MacHow:     "Mac: файл тұрған қалтада «Терминалды» ашып, мынаны теріңіз (бірінші жол macOS жүктелген файлдарға қоятын карантин белгісін алып тастайды):",
		After:      "Содан кейін Caravan өз мекенжайы мен сіздің кілтіңізді көрсетеді; бағдарлама жұмыс істеп тұрғанда терминалды жаппаңыз. Барлық мүмкіндіктерін көру үшін <code>serve</code> орнына <code>--help</code> деп теріңіз.",
		Nothing:    "Бұл түйін әзірге бағдарламаны таратпайды.",
		NothingHow: "Түйінді басқаратын адам оны былай жариялай алады:",
		Problem:    "Жарияланған файлдар тексеруден өтпеді, сондықтан ешқайсысы ұсынылмайды:",
		decimal:    ",", mb: "МБ",
		platforms: map[string]string{
			"linux/amd64":   "Linux орнатылған ДК (64-биттік Intel/AMD)",
			"linux/arm64":   "64-биттік жүйесі бар Raspberry Pi 3 және одан жаңасы, басқа 64-биттік ARM Linux",
			"linux/arm":     "Raspberry Pi 2 және одан жаңасы (32-биттік), басқа 32-биттік ARM Linux",
			"windows/amd64": "Windows (64-биттік)",
			"darwin/arm64":  "Apple процессоры бар Mac (M1 және одан жаңасы)",
			"darwin/amd64":  "Intel процессоры бар Mac",
		},
	},
}
